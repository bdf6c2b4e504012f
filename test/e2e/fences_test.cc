// Fences end to end (issue 15): what one app, or one installation, owns on a
// shared Docker engine, nobody else's push or setup can change. Needs a Docker
// engine (Swarm is initialised by the daemon) and the registry at
// localhost:5000.

#include <catch2/catch.hpp>
#include <fmt/format.h>

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
                                          "Docker engine (the service {}); set http_port in",
                                          first.http_port(), edge)) != std::string::npos);
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
