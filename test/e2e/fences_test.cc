// Fences end to end (issue 15): what one app, or one installation, owns on a
// shared Docker engine, nobody else's push or setup can change. Needs a Docker
// engine (Swarm is initialised by the daemon) and the registry at
// localhost:5000.

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "server/config/settings.h"
#include "test/support/apps.h"
#include "test/support/run.h"
#include "test/support/test_server.h"

using ms::test::BuildServer;
using ms::test::Push;
using ms::test::Run;
using ms::test::SampleRepo;
using ms::test::TestServer;
using ms::test::Unique;

namespace {

// The service's spec as JSON (its Version.Index also moves when Swarm records how an
// update went, so the spec itself is compared).
std::string ServiceSpec(const std::string& service) {
  return Run({"docker", "service", "inspect", "-f", "{{json .Spec}}", service}).out;
}

}  // namespace

TEST_CASE("fences: a process type that would name another app's service is refused - that app is unchanged") {
  TestServer s = BuildServer();
  // App X-bar's web service is X-bar-web; app X's type bar-web would be the same.
  const std::string x = Unique("fence");
  const std::string x_bar = x + "-bar";
  Push(s, SampleRepo(s, "hello-node"), x_bar);
  const std::string before = ServiceSpec(x_bar + "-web");
  REQUIRE_FALSE(before.empty());

  auto repo = SampleRepo(s, "hello-node");
  ms::test::WriteFile(repo / "Procfile", "web: node server.js\nbar-web: node server.js\n");
  ms::test::CommitAll(s, repo, "a type named like another app's service");
  auto push = s.Git({"push", s.Url(x), "main"}, repo);
  INFO(push.Both());
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("Procfile line 2: 'bar-web' is not a process type name: use up to 30 lower-case letters, "
                      "digits and '_'") != std::string::npos);
  CHECK(ServiceSpec(x_bar + "-web") == before);
  CHECK(ms::test::HttpGet(x_bar + "-net", x_bar + "-web").find("Hello from Mothership!") != std::string::npos);
}

TEST_CASE("fences: a second installation's setup on the same engine cannot take the first's proxy or its port") {
  TestServer first = BuildServer();
  const std::string app = Unique("first");
  Push(first, SampleRepo(first, "hello-node"), app);
  auto mine = ms::LoadSettings(first.data_dir());
  REQUIRE(mine);
  const std::string edge = mine->proxy_service + "-edge";
  const std::string before = ServiceSpec(edge) + ServiceSpec(mine->proxy_service);

  // The second installation, set up with the first's proxy service name.
  TestServer second;
  auto theirs = ms::LoadSettings(second.data_dir());
  REQUIRE(theirs);
  theirs->deploy_step = "build";
  theirs->registry = "localhost:5000";
  theirs->proxy_service = mine->proxy_service;
  theirs->http_port = ms::test::FreePort();
  theirs->https_port = ms::test::FreePort();  // (not 443: the demo's proxy may hold it, as in CI)
  theirs->proxy_metrics_port = ms::test::FreePort();
  REQUIRE(ms::SaveSettings(*theirs));
  const std::vector<std::string> setup = {ms::test::BinDir() + "/mothershipd", "setup", "--data-dir",
                                          second.data_dir().string(), "--admin-key",
                                          second.admin_key().string() + ".pub", "--ssh-port", "0"};
  auto same_name = Run(setup);
  INFO(same_name.Both());
  CHECK(same_name.exit_code != 0);
  CHECK(same_name.Both().find("the Docker service " + edge +
                              " belongs to another Mothership installation on this Docker engine; this installation "
                              "leaves it alone. Set proxy_service in " +
                              (second.data_dir() / "config.yaml").string()) != std::string::npos);

  // Its own name, but the first's port.
  theirs->proxy_service = "ms-proxy-" + theirs->InstallId();
  theirs->http_port = first.http_port();
  REQUIRE(ms::SaveSettings(*theirs));
  auto same_port = Run(setup);
  INFO(same_port.Both());
  CHECK(same_port.exit_code != 0);
  CHECK(same_port.Both().find(fmt::format("port {} is taken by the proxy of another Mothership installation on this "
                                          "Docker engine (the service {}, data directory {}); set http_port in",
                                          first.http_port(), edge, first.data_dir().string())) != std::string::npos);
  CHECK(Run({"docker", "service", "inspect", theirs->proxy_service + "-edge"}).exit_code != 0);

  // Nothing of the first changed, and its app answers through its proxy.
  CHECK(ServiceSpec(edge) + ServiceSpec(mine->proxy_service) == before);
  auto answer = Run({"curl", "-s", "--max-time", "10", "-H", "Host: " + app + ".localhost",
                     fmt::format("http://127.0.0.1:{}/", first.http_port())});
  CHECK(answer.out.find("Hello from Mothership!") != std::string::npos);
}

TEST_CASE("fences: app processes and runs are uid 1000 with no capabilities and no privilege gain - config stays byte for byte") {
  TestServer s = BuildServer();
  const std::string app = Unique("plain");
  Push(s, SampleRepo(s, "hello-node"), app);
  REQUIRE(s.Ssh("config:set " + app + " 'TEMPLATE={{.Node.Hostname}}'").exit_code == 0);

  const std::string probe = "id -u; grep -E '^(CapEff|CapPrm|NoNewPrivs)' /proc/$1/status; printenv TEMPLATE";
  auto container = Run({"docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=" + app + "-web"});
  REQUIRE_FALSE(container.out.empty());
  auto task = Run({"docker", "exec", container.out.substr(0, container.out.find('\n')), "bash", "-c", probe, "-", "1"});
  INFO(task.Both());
  CHECK(task.out == "1000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n{{.Node.Hostname}}\n");

  auto run = s.Ssh("run " + app + " bash -c \"" + probe + "\" - self");
  INFO(run.Both());
  CHECK(run.out == "1000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n{{.Node.Hostname}}\n");
}

namespace {

// A Dockerfile app's repository whose Dockerfile is `dockerfile`.
std::filesystem::path DockerfileRepo(TestServer& s, const std::string& dockerfile) {
  auto repo = SampleRepo(s, "dockerfile-app");
  ms::test::WriteFile(repo / "Dockerfile", dockerfile);
  ms::test::CommitAll(s, repo, "a Dockerfile to try");
  return repo;
}

// The image ID the engine holds under `name`.
std::string ImageId(const std::string& name) {
  auto id = Run({"docker", "image", "inspect", "-f", "{{.Id}}", name}).out;
  while (!id.empty() && id.back() == '\n') id.pop_back();
  return id;
}

// A bash script that tries TCP to each port on its default gateway (this
// host, from a bridge network) and prints "REACHED PORT." or "FENCED PORT.".
std::string GatewayProbe(const std::vector<int>& ports) {
  std::string script =
      "while read -r _ dest gw _; do if [ \"$dest\" = 00000000 ]; then h=$gw; break; fi; done < /proc/net/route; "
      "gw=$(printf '%d.%d.%d.%d' 0x${h:6:2} 0x${h:4:2} 0x${h:2:2} 0x${h:0:2}); ";
  for (int port : ports) {
    script += fmt::format(
        "if timeout 5 bash -c '</dev/tcp/'$gw'/{0}' 2>/dev/null; then echo REACHED {0}.; else echo FENCED {0}.; fi; ",
        port);
  }
  return script;
}

// A TCP listener on every interface of this host, on a free port.
struct HostListener {
  int fd = -1;
  int port = 0;
  HostListener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd, 16) == 0);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~HostListener() { close(fd); }
};

}  // namespace

TEST_CASE("fences: a Dockerfile build cannot ADD a URL or build on another app's image - that app is unchanged") {
  TestServer s = BuildServer();
  const std::string other = Unique("fence-other");
  Push(s, SampleRepo(s, "dockerfile-app"), other);
  const std::string before = ServiceSpec(other + "-web");
  REQUIRE_FALSE(before.empty());  // with no Procfile, the image's CMD runs as web
  const std::string other_image = "localhost:5000/" + other + ":v1";
  const std::string other_id = ImageId(other_image);
  REQUIRE_FALSE(other_id.empty());
  const std::string app = Unique("fence-tenant");

  struct Try {
    std::string dockerfile, error;
  };
  const std::vector<Try> tries = {
      {"FROM mothership/run:bookworm\nADD http://169.254.169.254/latest/meta-data /m\n",
       "Dockerfile line 2: ADD http://169.254.169.254/latest/meta-data would be fetched by the Docker engine from "
       "the server's own network, outside the build's fence. Download it inside the build instead, for example RUN "
       "curl"},
      {"FROM " + other_image + "\n",
       "Dockerfile line 1: FROM " + other_image + " names an image in a registry on this server that is not this "
       "app's; build on public images or on this app's own (localhost:5000/" + app + ":vN)"},
      {"FROM 127.0.0.1:5000/" + other + ":v1\n", "names an image in a registry on this server that is not this app's"},
      {"FROM mothership/run:bookworm\nCOPY --from=" + other_image + " /srv/app.py /x\n",
       "Dockerfile line 2: COPY --from " + other_image + " names an image in a registry on this server"},
      // A name that looks public, but the engine resolves a short ID prefix
      // to the image it holds: the other app's.
      {"FROM " + other_id.substr(7, 10) + "\n",
       "Dockerfile line 1: FROM " + other_id.substr(7, 10) +
           " names an image by a prefix of its ID"},
      {"FROM " + other_id + "\n", "names an image by its ID"},
  };
  for (const auto& t : tries) {
    INFO(t.dockerfile);
    auto push = s.Git({"push", s.Url(app), "main"}, DockerfileRepo(s, t.dockerfile));
    INFO(push.Both());
    CHECK(push.exit_code != 0);
    CHECK(push.err.find(t.error) != std::string::npos);
  }
  CHECK(ImageId(other_image) == other_id);
  CHECK(ServiceSpec(other + "-web") == before);
  CHECK(ms::test::HttpGet(other + "-net", other + "-web").find("Hello from a Dockerfile") != std::string::npos);
  // Its own image is fine to build on.
  auto repo = SampleRepo(s, "dockerfile-app");
  Push(s, repo, app);
  ms::test::WriteFile(repo / "Dockerfile", "FROM localhost:5000/" + app + ":v1\n");
  ms::test::CommitAll(s, repo, "on its own image");
  Push(s, repo, app);
}

TEST_CASE("fences: a Dockerfile build's steps reach neither this host's ports nor its published ports, and run under the process limit") {
  TestServer s = BuildServer();
  HostListener listener;
  const std::string probe = GatewayProbe({listener.port, s.http_port()});
  // The probe tells: from a network of the test's own, both answer.
  const std::string net = Unique("fence-control");
  REQUIRE(Run({"docker", "network", "create", net}).exit_code == 0);
  auto control = ms::test::RunOnNetwork(net, probe);
  (void)Run({"docker", "network", "rm", net});
  REQUIRE(control == fmt::format("REACHED {}.\nREACHED {}.\n", listener.port, s.http_port()));

  const std::string app = Unique("fence-probe");
  auto repo = DockerfileRepo(s, "FROM mothership/run:bookworm\nCOPY probe.sh /probe.sh\nRUN bash /probe.sh\n"
                                "RUN grep pids /proc/self/cgroup\nCOPY app.py /srv/app.py\nENTRYPOINT []\n"
                                "CMD [\"python3\", \"/srv/app.py\"]\n");
  ms::test::WriteFile(repo / "probe.sh", probe);
  ms::test::CommitAll(s, repo, "probe");
  auto push = Push(s, repo, app);
  CHECK(push.find(fmt::format("FENCED {}.", listener.port)) != std::string::npos);
  CHECK(push.find(fmt::format("FENCED {}.", s.http_port())) != std::string::npos);
  CHECK(push.find("REACHED") == std::string::npos);
  auto settings = ms::LoadSettings(s.data_dir());
  REQUIRE(settings);
  CHECK(push.find(fmt::format(":pids:/mothership-build-{}-{}-v1/", settings->InstallId(), app)) != std::string::npos);
  // Link-local addresses (cloud metadata) are rejected by rule; no packet is
  // sent there from this test.
  CHECK(Run({"iptables", "-w", "5", "-C", "DOCKER-USER", "-i", "msb0", "-d", "169.254.0.0/16", "-j", "REJECT"})
            .exit_code == 0);
}

TEST_CASE("fences: a Dockerfile build that runs over build_timeout_seconds is stopped and refused") {
  TestServer s = BuildServer([](ms::Settings& settings) { settings.build_timeout_seconds = 10; });
  const std::string app = Unique("fence-slow");
  const std::string marker = "sleep 3" + std::to_string(100 + getpid() % 900);
  auto push = s.Git({"push", s.Url(app), "main"},
                    DockerfileRepo(s, "FROM mothership/run:bookworm\nRUN " + marker + "\n"));
  INFO(push.Both());
  CHECK(push.exit_code != 0);
  CHECK(push.err.find("the build took longer than 10 s (build_timeout_seconds) and was stopped") != std::string::npos);
  // The step's container is gone too.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string running;
  do {
    running = Run({"docker", "ps", "--no-trunc", "--format", "{{.Command}}"}).out;
    if (running.find(marker) == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  CHECK(running.find(marker) == std::string::npos);
}

TEST_CASE("fences: services run image digests - a tag pushed over in the registry changes nothing that runs") {
  TestServer s = BuildServer();
  const std::string app = Unique("pinned");
  Push(s, SampleRepo(s, "hello-node"), app);
  const std::string tag = "localhost:5000/" + app + ":v1";
  auto image = Run({"docker", "service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", app + "-web"}).out;
  INFO(image);
  REQUIRE(image.starts_with(tag + "@sha256:"));

  // Anyone who can push to the registry pushes something else as v1.
  REQUIRE(Run({"docker", "tag", "mothership/run:bookworm", tag}).exit_code == 0);
  auto pushed = Run({"docker", "push", tag});
  INFO(pushed.Both());
  REQUIRE(pushed.exit_code == 0);
  // The app's next restart (and a one-off run) still runs what was released.
  auto restart = Run({"docker", "service", "update", "--force", "--detach=false", "--quiet", app + "-web"});
  INFO(restart.Both());
  REQUIRE(restart.exit_code == 0);
  CHECK(ms::test::HttpGetFinds(app + "-net", app + "-web", "Hello from Mothership!"));
  auto run = s.Ssh("run " + app + " cat server.js");
  INFO(run.Both());
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("Hello from Mothership") != std::string::npos);
}

TEST_CASE("fences: a registry beyond loopback takes only the installation's credentials - its pushes, pulls, builds and services log in", "[long]") {
  // 127.0.0.2 is not a name of loopback to setup (the registry listens on every
  // interface), and the engine speaks plain HTTP to it (127.0.0.0/8).
  const int port = ms::test::FreePort();
  const std::string registry = fmt::format("127.0.0.2:{}", port);
  const std::string container = fmt::format("mothership-registry-{}", port);
  struct Remove {
    std::string name;
    ~Remove() {
      Run({"docker", "rm", "-f", name});
      Run({"docker", "volume", "rm", name});
    }
  } remove{container};
  auto status = [&](const std::vector<std::string>& login) {
    std::vector<std::string> curl = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"};
    curl.insert(curl.end(), login.begin(), login.end());
    curl.push_back("http://" + registry + "/v2/");
    return Run(curl).out;
  };

  // What an older setup left: the registry open to anyone who reaches it.
  auto old = Run({"docker", "run", "-d", "--name", container, "--network", "host", "-e",
                  fmt::format("REGISTRY_HTTP_ADDR=0.0.0.0:{}", port), "-v", container + ":/var/lib/registry", "--label",
                  "mothership.role=registry", "mothership/registry:bookworm-1"});
  INFO(old.Both());
  REQUIRE(old.exit_code == 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (status({}) != "200" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  REQUIRE(status({}) == "200");

  // Setup replaces it with one that wants the credentials it made.
  TestServer s = BuildServer([&](ms::Settings& c) { c.registry = registry; });
  CHECK(status({}) == "401");
  CHECK(status({"-u", "mothership:wrong"}) == "401");
  const auto credentials = s.data_dir() / "registry" / "credentials";
  CHECK((std::filesystem::status(credentials).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  std::string line = ms::test::ReadFile(credentials);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  CHECK(status({"-u", line}) == "200");

  // Anyone else's push is refused.
  const std::string intruder = registry + "/intruder:v1";
  REQUIRE(Run({"docker", "tag", "mothership/run:bookworm", intruder}).exit_code == 0);
  auto pushed = Run({"docker", "push", intruder});
  Run({"docker", "rmi", intruder});
  INFO(pushed.Both());
  CHECK(pushed.exit_code != 0);
  CHECK(pushed.Both().find("no basic auth credentials") != std::string::npos);

  // The platform's own: a slug pushed over the registry API, its service.
  const std::string app = Unique("authed");
  auto repo = SampleRepo(s, "hello-node");
  Push(s, repo, app);
  auto image = Run({"docker", "service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", app + "-web"}).out;
  INFO(image);
  REQUIRE(image.starts_with(registry + "/" + app + ":v1@sha256:"));
  while (!image.empty() && image.back() == '\n') image.pop_back();
  const std::string by_digest = registry + "/" + app + image.substr(image.find('@'));
  CHECK(ms::test::HttpGet(app + "-net", app + "-web").find("Hello from Mothership!") != std::string::npos);
  // Nobody else reads it from the registry.
  const std::string manifest = "http://" + registry + "/v2/" + app + "/manifests/v1";
  CHECK(Run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", manifest}).out == "401");
  CHECK(Run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u", line, manifest}).out == "200");
  // A one-off run pulls the release by its digest.
  auto run = s.Ssh("run " + app + " cat server.js");
  INFO(run.Both());
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("Hello from Mothership") != std::string::npos);

  // A Dockerfile build on the app's own image, which the engine no longer holds
  // by that name: the check pulls it (HEAD of its manifest, with the login), the
  // engine pushes the result.
  Run({"docker", "rmi", "-f", registry + "/" + app + ":v1", by_digest});
  REQUIRE(Run({"docker", "image", "inspect", registry + "/" + app + ":v1"}).exit_code != 0);
  ms::test::WriteFile(repo / "Dockerfile", "FROM " + registry + "/" + app + ":v1\n");
  ms::test::CommitAll(s, repo, "on its own image");
  Push(s, repo, app);
  image = Run({"docker", "service", "inspect", "-f", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", app + "-web"}).out;
  CHECK(image.starts_with(registry + "/" + app + ":v2@sha256:"));
  CHECK(ms::test::HttpGetFinds(app + "-net", app + "-web", "Hello from Mothership!"));
}
