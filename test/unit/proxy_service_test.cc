// ProxyService against the fake engine: the edge and worker services, the
// worker joining each app's network with a start-first replacement, leaving a
// network, and waiting until the new worker serves (a local stand-in answers
// like the proxy does).

#include "server/proxy/proxy_service.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <fstream>
#include <thread>

#include "server/common/clock.h"
#include "server/runtime/service_spec.h"
#include "test/support/fake_docker_client.h"
#include "test/unit/test_helpers.h"

namespace {

using ms_test::Contains;
using ms_test::TempDir;

// Answers every connection as the proxy answers an unknown host: 404 with a
// request id; a readiness probe (GET /routable/APP) with routable(n), n
// counting probes from 0. Listens on a free port of 127.0.0.1 until destroyed.
class ProbeAnswerer {
 public:
  explicit ProbeAnswerer(std::function<int(int)> routable = [](int) { return 200; })
      : routable_(std::move(routable)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    REQUIRE(listen(fd_, 16) == 0);
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0 || stop_) {
          if (c >= 0) close(c);
          return;
        }
        char buf[4096];
        ssize_t n = read(c, buf, sizeof buf);
        std::string request(buf, n > 0 ? static_cast<size_t>(n) : 0);
        int status = 404;
        if (request.starts_with("GET /routable/")) {
          std::lock_guard lock(mu_);
          probes_.push_back(request);
          status = routable_(static_cast<int>(probes_.size()) - 1);
        }
        std::string answer = fmt::format(
            "HTTP/1.1 {} X\r\nx-request-id: probe\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
        (void)!write(c, answer.data(), answer.size());
        close(c);
      }
    });
  }
  ~ProbeAnswerer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  // The readiness probes received, whole.
  std::vector<std::string> probes() {
    std::lock_guard lock(mu_);
    return probes_;
  }

 private:
  std::function<int(int)> routable_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> probes_;
};

struct ProxyEnv {
  TempDir dir;
  ms::Settings settings;
  std::unique_ptr<ms::Store> store;
  ms::test::FakeDockerClient docker;
  ms::FakeClock clock;
  std::unique_ptr<ms::ProxyService> proxy;

  explicit ProxyEnv(int http_port) {
    settings.data_dir = dir.path() / "data";
    settings.http_port = http_port;
    auto opened = ms::Store::Open(dir.path() / "mothership.db");
    REQUIRE(opened);
    store = std::move(*opened);
    // An installation to make the image from.
    auto prefix = dir.path() / "prefix";
    std::filesystem::create_directories(prefix / "bin");
    std::filesystem::create_directories(prefix / "share" / "mothership");
    std::ofstream(prefix / "share" / "mothership" / "Dockerfile") << "FROM scratch\n";
    for (const char* bin : {"mothershipd", "mothership", "mothership-proxy"}) std::ofstream(prefix / "bin" / bin) << bin;
    proxy = std::make_unique<ms::ProxyService>(settings, docker, *store, prefix, clock);
  }

  // An app with a web service (as a deploy leaves it).
  void WebApp(const std::string& app) {
    REQUIRE(store->CreateApp(app, "root"));
    ms::ServiceSpec web;
    web.name = ms::ServiceName(app, "web");
    web.labels = {{"mothership.app", app},
                  {"mothership.install", settings.InstallId()},
                  {"mothership.process", "web"}};
    docker.AddRunningService(web);
  }

  std::vector<std::string> WorkerNetworks() {
    auto spec = docker.LastSpec(settings.proxy_service);
    std::vector<std::string> out;
    if (spec) {
      for (const auto& n : spec->networks) out.push_back(n.target);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("ProxyService::Ensure creates the edge and the worker on this node and waits until it serves", "[proxy_service]") {
  ProbeAnswerer answerer;
  ProxyEnv env(answerer.port());
  env.WebApp("shop");
  ms_test::StringOutput said;
  auto r = env.proxy->Ensure(said);
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  CHECK(env.docker.ServiceNames() == std::vector<std::string>{"mothership-proxy", "mothership-proxy-edge", "shop-web"});
  auto edge = env.docker.LastSpec("mothership-proxy-edge");
  REQUIRE(edge);
  CHECK(edge->global);
  CHECK(edge->update.order == "stop-first");
  CHECK(edge->constraints == std::vector<std::string>{"node.id==node-1"});
  REQUIRE(edge->networks.size() == 1);
  CHECK(edge->networks[0].target == "host");
  auto worker = env.docker.LastSpec("mothership-proxy");
  REQUIRE(worker);
  CHECK(worker->update.order == "start-first");
  CHECK(worker->command == std::vector<std::string>{"/usr/local/bin/mothership-proxy"});
  CHECK(worker->container_labels.at("mothership.networks") == "shop-net");
  CHECK(env.WorkerNetworks() == std::vector<std::string>{"shop-net"});
  CHECK(said.str().starts_with("Building the Mothership image"));
  CHECK(Contains(said.str(), "Starting the service mothership-proxy-edge ...\n"));
  CHECK(std::filesystem::exists(env.proxy->RoutesFile()));
}

TEST_CASE("ProxyService::Ensure leaves services that are up to date alone", "[proxy_service]") {
  ProbeAnswerer answerer;
  ProxyEnv env(answerer.port());
  env.WebApp("shop");
  REQUIRE(env.proxy->Ensure());
  REQUIRE(env.proxy->Ensure());
  CHECK(env.docker.CountCalls("CreateService mothership-proxy") == 2);  // the worker and the edge, once
  CHECK(env.docker.CountCalls("UpdateService") == 0);
  CHECK(env.docker.CountCalls("BuildImage") == 1);
}

TEST_CASE("ProxyService: a new app's network replaces the worker start-first, the edge stays", "[proxy_service]") {
  ProbeAnswerer answerer;
  ProxyEnv env(answerer.port());
  env.WebApp("shop");
  REQUIRE(env.proxy->Ensure());
  auto before = env.docker.Tasks("mothership-proxy");
  env.WebApp("blog");
  REQUIRE(env.proxy->Ensure());
  CHECK(env.docker.CountCalls("UpdateService mothership-proxy-edge") == 0);
  CHECK(env.docker.CountCalls("UpdateService mothership-proxy") == 1);
  CHECK(env.WorkerNetworks() == std::vector<std::string>{"blog-net", "shop-net"});
  // The new worker runs with both networks; the old one was retired after it.
  int running = 0;
  for (const auto& t : env.docker.Tasks("mothership-proxy")) {
    if (t.desired_state == "running" && t.state == "running") {
      ++running;
      CHECK(t.container_labels.at("mothership.networks") == "blog-net,shop-net");
      CHECK(t.id != before[0].id);
    }
  }
  CHECK(running == 1);
}

TEST_CASE("ProxyService::Detach makes the worker leave an app's network", "[proxy_service]") {
  ProbeAnswerer answerer;
  ProxyEnv env(answerer.port());
  env.WebApp("shop");
  env.WebApp("blog");
  REQUIRE(env.proxy->Ensure());
  REQUIRE(env.proxy->Detach("blog"));
  CHECK(env.WorkerNetworks() == std::vector<std::string>{"shop-net"});
  // An app whose network it is not on changes nothing.
  REQUIRE(env.proxy->Detach("blog"));
  CHECK(env.docker.CountCalls("UpdateService mothership-proxy") == 1);
}

TEST_CASE("ProxyService::Reconcile with no proxy and no web apps starts nothing", "[proxy_service]") {
  ProxyEnv env(1);
  REQUIRE(env.proxy->Reconcile());
  CHECK(env.docker.ServiceNames().empty());
  CHECK(env.docker.CountCalls("BuildImage") == 0);
  CHECK(std::filesystem::exists(env.proxy->RoutesFile()));
}

TEST_CASE("ProxyService: a worker that never runs fails after 60 s", "[proxy_service]") {
  ProxyEnv env(1);  // nothing answers on port 1
  env.WebApp("shop");
  ms::test::TaskScript stuck;
  stuck.states = {"pending"};  // no node can take it
  env.docker.ScriptRelease("", stuck);
  auto start = env.clock.Now();
  auto r = env.proxy->Ensure();
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "the proxy service mothership-proxy did not answer on port 1 within 60 s"));
  CHECK(env.clock.Now() - start >= std::chrono::seconds(60));
  CHECK(env.clock.Now() - start < std::chrono::seconds(61));
}

TEST_CASE("ProxyService: an engine that is no Swarm node is refused", "[proxy_service]") {
  ProxyEnv env(1);
  env.WebApp("shop");
  env.docker.SetEngineInfo(ms::EngineInfo{});
  auto r = env.proxy->Ensure();
  REQUIRE_FALSE(r);
  CHECK(Contains(r.error().message, "not a Swarm node"));
  CHECK(env.docker.CountCalls("CreateService mothership-proxy") == 0);
}

TEST_CASE("ProxyService::EnsureImage builds the Mothership image once", "[proxy_service]") {
  ProxyEnv env(1);
  ms::NullOutput quiet;
  auto first = env.proxy->EnsureImage(quiet);
  REQUIRE(first);
  CHECK(first->starts_with("mothership/mothership:"));
  auto second = env.proxy->EnsureImage(quiet);
  REQUIRE(second);
  CHECK(*second == *first);
  CHECK(env.docker.CountCalls("BuildImage") == 1);
}

TEST_CASE("ProxyService::WaitRouted returns once the proxy routes the app to a task", "[proxy_service]") {
  // The old worker (not on the app's network) answers 503 twice, then the new one 200.
  ProbeAnswerer answerer([](int n) { return n < 2 ? 503 : 200; });
  ProxyEnv env(answerer.port());
  env.WebApp("shop");
  REQUIRE(env.proxy->WriteRoutes());
  auto r = env.proxy->WaitRouted("shop");
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  auto probes = answerer.probes();
  REQUIRE(probes.size() == 3);
  CHECK(probes[0].starts_with("GET /routable/shop HTTP/1.1\r\n"));
  CHECK(Contains(probes[0], "Host: mothership-probe.invalid\r\n"));
}

TEST_CASE("ProxyService::WaitRouted waits for a 503 once an app is stopped", "[proxy_service]") {
  // The proxy still routes to the app until it reads the new routes.
  ProbeAnswerer answerer([](int n) { return n < 1 ? 200 : 503; });
  ProxyEnv env(answerer.port());
  REQUIRE(env.store->CreateApp("shop", "root"));  // no web service: not running
  REQUIRE(env.proxy->WriteRoutes());
  REQUIRE(env.proxy->WaitRouted("shop"));
  CHECK(answerer.probes().size() == 2);
}

TEST_CASE("ProxyService::WaitRouted fails after 30 s when the proxy never routes the app", "[proxy_service]") {
  ProbeAnswerer answerer([](int) { return 503; });
  ProxyEnv env(answerer.port());
  env.WebApp("shop");
  REQUIRE(env.proxy->WriteRoutes());
  auto start = env.clock.Now();
  auto r = env.proxy->WaitRouted("shop");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "the proxy did not route shop as expected (HTTP 200) within 30 s: HTTP 503");
  CHECK(env.clock.Now() - start >= std::chrono::seconds(30));
  CHECK(env.clock.Now() - start < std::chrono::seconds(31));
}

TEST_CASE("ProxyService::WaitRouted does not wait for a proxy that is not there unless the app must be reached", "[proxy_service]") {
  ProxyEnv env(1);  // nothing answers on port 1
  REQUIRE(env.store->CreateApp("shop", "root"));
  REQUIRE(env.proxy->WriteRoutes());
  auto start = env.clock.Now();
  REQUIRE(env.proxy->WaitRouted("shop"));
  CHECK(env.clock.Now() == start);
  env.WebApp("blog");
  REQUIRE(env.proxy->WriteRoutes());
  CHECK_FALSE(env.proxy->WaitRouted("blog"));
}

TEST_CASE("ProxyService: another installation's proxy service or port on this engine is refused, naming the setting",
          "[proxy_service]") {
  ProbeAnswerer answerer;
  ProxyEnv env(answerer.port());
  env.WebApp("shop");
  ms::ServiceSpec theirs;  // what another installation's setup made
  theirs.name = "mothership-proxy-edge";
  theirs.image = "their-image";
  theirs.args = {"edge", "--listen", fmt::format("0.0.0.0:{}", answerer.port())};
  theirs.labels = {{"mothership.install", "someone-else"}, {"mothership.role", "proxy-edge"}};
  env.docker.AddRunningService(theirs);

  auto same_name = env.proxy->Ensure();
  REQUIRE_FALSE(same_name.has_value());
  CHECK(same_name.error().code == ms::ErrorCode::kAlreadyExists);
  CHECK(Contains(same_name.error().message,
                 "the Docker service mothership-proxy-edge belongs to another Mothership installation on this Docker "
                 "engine; this installation leaves it alone. Set proxy_service in "));
  CHECK(env.docker.CountCalls("UpdateService") == 0);
  REQUIRE(env.docker.Service("mothership-proxy-edge"));
  CHECK(env.docker.Service("mothership-proxy-edge")->image == "their-image");

  env.settings.proxy_service = "mine";
  auto same_port = env.proxy->Ensure();
  REQUIRE_FALSE(same_port.has_value());
  CHECK(Contains(same_port.error().message,
                 fmt::format("port {} is taken by the proxy of another Mothership installation on this Docker engine "
                             "(the service mothership-proxy-edge); set http_port in ",
                             answerer.port())));
  CHECK(env.docker.CountCalls("CreateService mine") == 0);
}
