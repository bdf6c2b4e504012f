#include "server/setup/registry.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <thread>

#include "server/builder/context_image.h"
#include "server/common/http_client.h"
#include "server/docker/ownership.h"

namespace ms {
namespace {

using Steady = std::chrono::steady_clock;

const char kDockerfile[] = R"(ARG BASE=mothership/debian:bookworm
FROM ${BASE}
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker-registry \
 && rm -rf /var/lib/apt/lists/*
COPY config.yml /etc/mothership-registry.yml
VOLUME /var/lib/registry
ENTRYPOINT ["docker-registry", "serve", "/etc/mothership-registry.yml"]
)";

// Debian's default config asks for htpasswd logins at a path of its own; this
// one has none, and the container's environment turns them on (with our
// htpasswd file) when the registry listens beyond loopback. Deleting lets the
// daemon remove images of old releases.
const char kConfig[] = R"(version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
  headers:
    X-Content-Type-Options: [nosniff]
)";

const char kHtpasswdInContainer[] = "/etc/mothership-registry.htpasswd";

long Seconds(Steady::time_point since) {
  return std::chrono::duration_cast<std::chrono::seconds>(Steady::now() - since).count();
}

// What the container must be; a container of ours labelled otherwise is made again.
Labels WantedLabels(const std::string& registry, bool credentials) {
  return {{"mothership.role", "registry"},
          {"mothership.registry.listen", RegistryListenAddress(registry)},
          {"mothership.registry.auth", credentials ? "htpasswd" : "none"}};
}

Result<void> CreateRegistryContainer(const Settings& settings, DockerClient& docker, const std::string& name,
                                     bool credentials, Output& out) {
  auto image = docker.ImageExists(kRegistryImage);
  if (!image) return std::unexpected(image.error());
  if (!*image) {
    WriteLine(out, fmt::format("Building the registry image {} (Debian's docker-registry, about a minute)...",
                               kRegistryImage));
    auto built = BuildImageFromFiles(docker, settings.data_dir / "tmp" / "registry-image", kRegistryImage,
                                     {{"Dockerfile", kDockerfile}, {"config.yml", kConfig}},
                                     {{"BASE", settings.base_image}}, [&](std::string_view line) {
                                       if (line.starts_with("Step ")) WriteLine(out, "  " + std::string(line));
                                     });
    if (!built) return built;
  }
  const std::string listen = RegistryListenAddress(settings.registry);
  ContainerSpec spec;
  spec.name = name;
  spec.image = kRegistryImage;
  spec.env = {"REGISTRY_HTTP_ADDR=" + listen};
  spec.binds = {name + ":/var/lib/registry"};
  if (credentials) {
    spec.env.push_back("REGISTRY_AUTH=htpasswd");
    spec.env.push_back("REGISTRY_AUTH_HTPASSWD_REALM=mothership");
    spec.env.push_back(std::string("REGISTRY_AUTH_HTPASSWD_PATH=") + kHtpasswdInContainer);
    spec.binds.push_back((settings.RegistryDir() / "htpasswd").string() + ":" + kHtpasswdInContainer + ":ro");
  }
  spec.labels = WantedLabels(settings.registry, credentials);
  spec.network_mode = "host";
  spec.restart_policy = "always";
  auto id = docker.CreateContainer(spec);
  if (!id) return std::unexpected(id.error());
  WriteLine(out, fmt::format("Starting the registry container {} on {}{} ...", name, listen,
                             credentials ? ", with credentials" : ""));
  return docker.StartContainer(*id);
}

// "10.0.0.0/8" contains address (host byte order).
bool InCidr(uint32_t address, const std::string& cidr) {
  auto slash = cidr.find('/');
  in_addr net{};
  if (slash == std::string::npos || inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &net) != 1) return false;
  int bits = 0;
  auto [end, ec] = std::from_chars(cidr.data() + slash + 1, cidr.data() + cidr.size(), bits);
  if (ec != std::errc() || end != cidr.data() + cidr.size() || bits < 0 || bits > 32) return false;
  uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return (address & mask) == (ntohl(net.s_addr) & mask);
}

std::vector<uint32_t> Ipv4Addresses(const std::string& host) {
  std::vector<uint32_t> out;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return out;
  for (addrinfo* a = found; a; a = a->ai_next) {
    out.push_back(ntohl(reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr.s_addr));
  }
  freeaddrinfo(found);
  return out;
}

}  // namespace

bool EngineSpeaksHttpTo(const EngineInfo& engine, const std::string& registry) {
  for (const auto& name : engine.insecure_registries) {
    if (name == registry) return true;
  }
  for (uint32_t address : Ipv4Addresses(RegistryHost(registry))) {
    for (const auto& cidr : engine.insecure_registry_cidrs) {
      if (InCidr(address, cidr)) return true;
    }
  }
  return false;
}

std::string RegistryContainerName(const std::string& registry) {
  std::string listen = RegistryListenAddress(registry);
  std::string port = listen.substr(listen.rfind(':') + 1);
  return port == "5000" ? std::string(kRegistryContainer) : std::string(kRegistryContainer) + "-" + port;
}

long RegistryStatus(const std::string& registry, const std::optional<RegistryCredentials>& credentials) {
  auto client = HttpClient::Tcp("http://" + registry, "the registry", "");
  HttpRequest request;
  request.path = "/v2/";
  request.timeout_seconds = 2;
  if (credentials) request.headers["Authorization"] = BasicAuthorization(*credentials);
  auto response = client.Send(request);
  return response ? response->status : 0;
}

Result<void> EnsureRegistry(const Settings& settings, DockerClient& docker,
                            Output& out) {
  const std::string& registry = settings.registry;
  const std::string name = RegistryContainerName(registry);
  auto engine = docker.Info();
  if (!engine) return std::unexpected(engine.error());
  if (!EngineSpeaksHttpTo(*engine, registry)) {
    return Failed(fmt::format(
        "the Docker engine would reach the registry {} over HTTPS, and it serves plain HTTP: add "
        "\"insecure-registries\": [\"{}\"] to /etc/docker/daemon.json on every node, restart dockerd and run "
        "setup again (on a single host, registry: localhost:5000 needs none of that)",
        registry, registry));
  }
  std::optional<RegistryCredentials> credentials;
  if (!RegistryOnLoopback(registry)) {
    auto made = EnsureRegistryCredentials(settings.RegistryDir());
    if (!made) return std::unexpected(made.error());
    credentials = *made;
  }
  auto start = Steady::now();
  auto existing = docker.InspectContainer(name);
  if (!existing && existing.error().code != ErrorCode::kNotFound) return std::unexpected(existing.error());
  if (existing && !HasLabels(existing->labels, WantedLabels(registry, credentials.has_value()))) {
    WriteLine(out, fmt::format("Replacing the registry container {}: it was set up for another address or without "
                               "the credentials {} needs (the images stay in its volume)...",
                               name, registry));
    if (auto r = docker.StopContainer(existing->id, 10); !r) return r;
    if (auto r = docker.RemoveContainer(existing->id); !r) return r;
    existing = NotFound(name);
  }
  if (existing) {
    if (!existing->running) {
      WriteLine(out, fmt::format("Starting the registry container {} ...", name));
      if (auto r = docker.StartContainer(name); !r) return r;
    }
  } else if (RegistryStatus(registry, credentials) == 200) {
    // A registry that is not ours serves the address: the operator's.
    WriteLine(out, fmt::format("Registry {} answers.", registry));
    if (credentials && RegistryStatus(registry, std::nullopt) == 200) {
      WriteLine(out, fmt::format("Warning: the registry at {} is not this installation's and takes pushes without "
                                 "credentials from anyone who reaches it; firewall its port or turn its auth on",
                                 registry));
    }
    return {};
  } else if (auto r = CreateRegistryContainer(settings, docker, name, credentials.has_value(), out); !r) {
    return r;
  }
  auto deadline = Steady::now() + std::chrono::seconds(30);
  long status = 0;
  while ((status = RegistryStatus(registry, credentials)) != 200) {
    if (Steady::now() > deadline) {
      if (status == 401) {
        return Failed(fmt::format("the registry at {} refuses this installation's credentials ({}); is another "
                                  "registry using the port?",
                                  registry, (settings.RegistryDir() / "credentials").string()));
      }
      return Failed(fmt::format("the registry container {} did not answer at {} within 30 s; see "
                                "`docker logs {}` (is another process using the port?)",
                                name, registry, name));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (credentials && RegistryStatus(registry, std::nullopt) != 401) {
    return Failed(fmt::format("the registry container {} at {} answers requests without credentials; remove it "
                              "(`docker rm -f {}`; its images stay in the volume) and run setup again",
                              name, registry, name));
  }
  WriteLine(out, fmt::format("Registry {} answers{} ({} s).", registry, credentials ? " (with credentials)" : "",
                             Seconds(start)));
  return {};
}

}  // namespace ms
