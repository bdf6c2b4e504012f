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
#include <sstream>
#include <thread>

#include "server/common/clock.h"
#include "server/contracts/routes_file.h"
#include "server/runtime/service_spec.h"
#include "test/support/fake_docker_client.h"
#include "test/unit/proxy_env.h"
#include "test/unit/test_helpers.h"

using ms_test::Contains;
using ms_test::TempDir;
using ms_test::ProbeAnswerer;
using ms_test::ProxyEnv;

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

TEST_CASE("ProxyService: routes.json sends the platform's host to the API socket, as the worker sees it - "
          "none without a domain",
          "[proxy_service]") {
  ProxyEnv env(1);
  env.settings.domain = "example.com";
  auto written = [&] {
    REQUIRE(env.proxy->WriteRoutes());
    std::ifstream in(env.proxy->RoutesFile());
    std::stringstream text;
    text << in.rdbuf();
    auto routes = ms::contracts::ParseRoutesFile(text.str());
    REQUIRE(routes);
    return *routes;
  };
  auto routes = written();
  REQUIRE(routes.platform);
  CHECK(routes.platform->host == "mothership.example.com");
  CHECK(routes.platform->socket == "/etc/mothership-proxy/api.sock");
  env.settings.api_host = "api.example.org";
  CHECK(written().platform->host == "api.example.org");
  env.settings.api_host.clear();
  env.settings.domain.clear();
  CHECK_FALSE(written().platform);
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

  // An installation whose data directory is gone (another checkout's demo,
  // deleted): the error says what removes it.
  env.docker.RemoveService("mothership-proxy-edge");
  theirs.name = "old-proxy-edge";
  theirs.labels["mothership.data_dir"] = (env.settings.data_dir / "gone").string();
  env.docker.AddRunningService(theirs);
  auto orphan = env.proxy->Ensure();
  REQUIRE_FALSE(orphan.has_value());
  CHECK(Contains(orphan.error().message,
                 fmt::format("port {} is taken by the proxy of a Mothership installation whose data directory {} is "
                             "gone (the service old-proxy-edge); remove what it left with scripts/clean-docker",
                             answerer.port(), (env.settings.data_dir / "gone").string())));
  CHECK(env.docker.CountCalls("CreateService mine") == 0);
}

TEST_CASE("ProxyService: the proxy's services name their installation's data directory", "[proxy_service]") {
  ProbeAnswerer answerer;
  ProxyEnv env(answerer.port());
  env.WebApp("shop");
  REQUIRE(env.proxy->Ensure().has_value());
  for (const char* name : {"mothership-proxy", "mothership-proxy-edge"}) {
    INFO(name);
    REQUIRE(env.docker.Service(name));
    CHECK(env.docker.Service(name)->labels.at("mothership.data_dir") == env.settings.data_dir.string());
  }
}
