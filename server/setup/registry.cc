#include "server/setup/registry.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "server/builder/context_image.h"
#include "server/common/http_client.h"

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

// Debian's default config asks for htpasswd logins; Swarm nodes pull without
// credentials, so this one has none (keep its port to the nodes when it listens
// beyond loopback). Deleting lets the daemon remove images of old releases.
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

// "localhost:5000" -> "127.0.0.1:5000": a registry only this host uses stays on
// loopback; any other name (a node address other nodes pull from) listens on
// every interface.
std::string ListenAddress(const std::string& registry) {
  auto colon = registry.rfind(':');
  std::string host = colon == std::string::npos ? registry : registry.substr(0, colon);
  std::string port = colon == std::string::npos ? "5000" : registry.substr(colon + 1);
  bool loopback = host == "localhost" || host == "127.0.0.1";
  return (loopback ? "127.0.0.1:" : "0.0.0.0:") + port;
}

long Seconds(Steady::time_point since) {
  return std::chrono::duration_cast<std::chrono::seconds>(Steady::now() - since).count();
}

}  // namespace

bool RegistryAnswers(const std::string& registry) {
  auto client = HttpClient::Tcp("http://" + registry, "the registry", "");
  HttpRequest request;
  request.path = "/v2/";
  request.timeout_seconds = 2;
  auto response = client.Send(request);
  return response && response->status == 200;
}

Result<void> EnsureRegistry(const Settings& settings, DockerClient& docker,
                            Output& out) {
  if (RegistryAnswers(settings.registry)) {
    WriteLine(out, fmt::format("Registry {} answers.", settings.registry));
    return {};
  }
  auto start = Steady::now();
  auto existing = docker.InspectContainer(kRegistryContainer);
  if (existing) {
    WriteLine(out, fmt::format("Starting the registry container {} ...", kRegistryContainer));
    if (auto r = docker.StartContainer(kRegistryContainer); !r) return r;
  } else if (existing.error().code != ErrorCode::kNotFound) {
    return std::unexpected(existing.error());
  } else {
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
    ContainerSpec spec;
    spec.name = kRegistryContainer;
    spec.image = kRegistryImage;
    spec.env = {"REGISTRY_HTTP_ADDR=" + ListenAddress(settings.registry)};
    spec.binds = {std::string(kRegistryContainer) + ":/var/lib/registry"};
    spec.labels = {{"mothership.role", "registry"}};
    spec.network_mode = "host";
    spec.restart_policy = "always";
    auto id = docker.CreateContainer(spec);
    if (!id) return std::unexpected(id.error());
    WriteLine(out, fmt::format("Starting the registry container {} on {} ...", kRegistryContainer,
                    ListenAddress(settings.registry)));
    if (auto r = docker.StartContainer(*id); !r) return r;
  }
  auto deadline = Steady::now() + std::chrono::seconds(30);
  while (!RegistryAnswers(settings.registry)) {
    if (Steady::now() > deadline) {
      return Failed(fmt::format("the registry container {} did not answer at {} within 30 s; see "
                                "`docker logs {}` (is another process using the port?)",
                                kRegistryContainer, settings.registry, kRegistryContainer));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  WriteLine(out, fmt::format("Registry {} answers ({} s).", settings.registry, Seconds(start)));
  return {};
}

}  // namespace ms
