// The Redis add-on's service and URL (server/addons/redis_service.h).

#include <catch2/catch.hpp>

#include <algorithm>

#include "server/addons/redis_service.h"

namespace {

ms::Addon Cache() {
  ms::Addon a;
  a.name = "shop-redis";
  a.kind = "redis";
  a.app = "shop";
  a.node_id = "node1";
  a.db_password = "secret";
  a.size_mb = 100;
  a.policy = "allkeys-lru";
  return a;
}

bool HasEnv(const ms::ServiceSpec& s, const std::string& kv) {
  return std::find(s.env.begin(), s.env.end(), kv) != s.env.end();
}

}  // namespace

TEST_CASE("redis: the service - its own name, pinned, stop-first, append-only data in its volume, maxmemory from "
          "its size, the apps' networks only",
          "[addons]") {
  auto s = ms::MakeRedisServiceSpec(Cache(), "inst", {"shop-net", "jobs-net"});
  CHECK(s.name == "addon_shop-redis");
  CHECK(s.image == "mothership/redis:7");
  CHECK(s.constraints == std::vector<std::string>{"node.id==node1"});
  CHECK(s.update.order == "stop-first");
  CHECK(s.replicas == 1);
  CHECK(s.restart_condition == "any");
  REQUIRE(s.mounts.size() == 1);
  CHECK(s.mounts[0].volume);
  CHECK(s.mounts[0].source == "mothership-addon-inst-shop-redis");
  CHECK(s.mounts[0].target == "/data");
  REQUIRE(s.networks.size() == 2);
  CHECK(s.networks[0].target == "shop-net");
  CHECK(s.labels.at("mothership.networks") == "shop-net,jobs-net");
  CHECK(HasEnv(s, "REDIS_PASSWORD=secret"));
  CHECK(HasEnv(s, "REDIS_MAXMEMORY_MB=100"));
  CHECK(HasEnv(s, "REDIS_POLICY=allkeys-lru"));
  // Room for a rewrite of the append-only file (a fork) above maxmemory.
  CHECK(s.limits.memory_bytes == (2 * 100 + 64) * 1024 * 1024);
  CHECK(s.cap_drop == std::vector<std::string>{"ALL"});
  CHECK(s.endpoint_mode == "dnsrr");
  REQUIRE(s.health_check);
  CHECK(s.health_check->test.at(0) == "CMD-SHELL");
  // The password is never in the check's command (docker inspect shows it).
  CHECK(s.health_check->test.at(1).find("secret") == std::string::npos);

  auto defaults = Cache();
  defaults.size_mb = 0;
  defaults.policy = "";
  auto d = ms::MakeRedisServiceSpec(defaults, "inst", {"shop-net"});
  CHECK(HasEnv(d, "REDIS_MAXMEMORY_MB=256"));
  CHECK(HasEnv(d, "REDIS_POLICY=noeviction"));
}

TEST_CASE("redis: its URL, sizes and policies - bad ones refused", "[addons]") {
  CHECK(ms::RedisUrl(Cache()) == "redis://default:secret@addon_shop-redis:6379");
  CHECK(ms::ParseRedisSize("256").value() == 256);
  CHECK(ms::ParseRedisSize("16").value() == 16);
  CHECK_FALSE(ms::ParseRedisSize("15"));
  CHECK_FALSE(ms::ParseRedisSize("4097"));
  CHECK_FALSE(ms::ParseRedisSize("1g"));
  CHECK_FALSE(ms::ParseRedisSize(""));
  CHECK(ms::ValidateRedisPolicy("noeviction"));
  CHECK(ms::ValidateRedisPolicy("allkeys-lru"));
  CHECK(ms::ValidateRedisPolicy("volatile-ttl"));
  auto bad = ms::ValidateRedisPolicy("lru; FLUSHALL");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("noeviction") != std::string::npos);
}
