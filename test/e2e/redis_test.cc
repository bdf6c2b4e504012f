// The Redis add-on end to end, with a worker: a Node.js app using the `redis`
// module counts its requests in Redis (REDIS_URL from addons:create); the
// count survives a kill -9 of the Redis container and a daemon restart; its
// web process enqueues jobs that its worker process (ps:scale worker=1) runs,
// and the worker's lines are in `logs --ps worker`; redis:info and redis:cli
// read it. Needs a Docker engine and the registry at localhost:5000.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "server/config/settings.h"
#include "test/support/apps.h"
#include "test/support/run.h"
#include "test/support/test_server.h"

using ms::test::BuildServer;
using ms::test::ProxyGetUntil;
using ms::test::Push;
using ms::test::Run;
using ms::test::SampleRepo;
using ms::test::TestServer;
using ms::test::Trim;
using ms::test::Unique;

TEST_CASE("addons: a Redis counts through kill -9 and a daemon restart - a worker runs the jobs the web process "
          "queues - redis:info, redis:cli",
          "[long]") {
  TestServer s = BuildServer();
  const std::string app = Unique("rd");
  const std::string addon = app + "-redis";
  Push(s, SampleRepo(s, "redis-node"), app);
  CHECK(ProxyGetUntil(s, app, "/count", "no redis") == "no redis");

  auto created = s.Ssh(fmt::format("addons:create {} redis --size 64", app));
  INFO(created.Both());
  REQUIRE(created.exit_code == 0);
  CHECK(created.out.find(fmt::format("Created {} (Redis 7, 64 MB, noeviction) for {}; REDIS_URL is set. Released v2.",
                                     addon, app)) != std::string::npos);
  auto url = Trim(s.Ssh(fmt::format("config:get {} REDIS_URL", app)).out);
  CHECK(url.starts_with("redis://default:"));
  CHECK(url.ends_with(fmt::format("@addon_{}:6379", addon)));
  // Only the app's network, no port on the host; the password is not in its command line.
  auto networks = Trim(Run({"docker", "service", "inspect", "-f",
                            "{{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}|{{.Endpoint.Spec.Ports}}",
                            "addon_" + addon})
                           .out);
  CHECK(networks == Trim(Run({"docker", "network", "inspect", "-f", "{{.ID}}", app + "-net"}).out) + " |[]");
  auto bad_kind = s.Ssh(fmt::format("addons:create {} mongodb", app));
  CHECK(bad_kind.exit_code != 0);
  CHECK(bad_kind.err.find("kinds: postgres, redis") != std::string::npos);
  auto bad_policy = s.Ssh(fmt::format("addons:create {} redis --name {}-x --policy lru", app, app));
  CHECK(bad_policy.exit_code != 0);
  CHECK(bad_policy.err.find("not a maxmemory policy") != std::string::npos);

  CHECK(ProxyGetUntil(s, app, "/count", "count=") == "count=1");
  CHECK(ProxyGetUntil(s, app, "/count", "count=") == "count=2");

  auto info = s.Ssh("redis:info " + app);
  INFO(info.Both());
  REQUIRE(info.exit_code == 0);
  CHECK(info.out.find("Version:     Redis 7.") != std::string::npos);
  CHECK(info.out.find("of 64.00M (policy noeviction)") != std::string::npos);
  CHECK(info.out.find("Persistence: append-only file") != std::string::npos);
  auto cli = s.Ssh("redis:cli " + app, "GET hits\n");
  INFO(cli.Both());
  CHECK(cli.exit_code == 0);
  CHECK(Trim(cli.out) == "2");
  // pg:* is for Postgres.
  CHECK(s.Ssh("pg:info " + app).err.find("has no database") != std::string::npos);

  // kill -9 of the Redis container: Swarm starts it again on its volume; the
  // append-only file was synced (everysec) long before.
  auto container = Trim(Run({"docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=addon_" + addon}).out);
  REQUIRE_FALSE(container.empty());
  REQUIRE(Run({"docker", "kill", "-s", "KILL", container}).exit_code == 0);
  CHECK(ProxyGetUntil(s, app, "/count", "count=") == "count=3");

  // A daemon restart.
  s.Stop();
  s.Start();
  CHECK(ProxyGetUntil(s, app, "/count", "count=") == "count=4");

  // A worker: the web process queues jobs, the worker runs them.
  auto scaled = s.Ssh(fmt::format("ps:scale {} worker=1", app));
  INFO(scaled.Both());
  REQUIRE(scaled.exit_code == 0);
  CHECK(ProxyGetUntil(s, app, "/enqueue?n=5", "queued=") == "queued=5");
  CHECK(ProxyGetUntil(s, app, "/done", "done=5") == "done=5");
  std::string logs;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
       std::chrono::steady_clock::now() < until;) {
    logs = s.Ssh(fmt::format("logs {} --ps worker", app)).out;
    if (logs.find("(5 done)") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  INFO(logs);
  CHECK(logs.find(fmt::format("{}[worker.1]: worker ran job-", app)) != std::string::npos);
  CHECK(logs.find("(5 done)") != std::string::npos);
  CHECK(logs.find("[web.1]") == std::string::npos);

  // Destroyed with the app (a Redis has no backup).
  auto destroyed = s.Ssh(fmt::format("apps:destroy {} --confirm {} --destroy-addons", app, app));
  INFO(destroyed.Both());
  REQUIRE(destroyed.exit_code == 0);
  CHECK(destroyed.Both().find(fmt::format("Destroyed {}.", addon)) != std::string::npos);
  CHECK(Run({"docker", "service", "inspect", "addon_" + addon}).exit_code != 0);
  auto settings = ms::LoadSettings(s.data_dir());
  REQUIRE(settings);
  CHECK(Run({"docker", "volume", "inspect", fmt::format("mothership-addon-{}-{}", settings->InstallId(), addon)})
            .exit_code != 0);
}
