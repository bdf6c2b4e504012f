#include "server/addons/redis_service.h"

#include <array>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "server/addons/postgres_service.h"

namespace ms {
namespace {

constexpr std::array<std::string_view, 8> kPolicies = {
    "noeviction",     "allkeys-lru",     "allkeys-lfu", "allkeys-random",
    "volatile-lru",   "volatile-lfu",    "volatile-random", "volatile-ttl"};

}  // namespace

Result<int64_t> ParseRedisSize(const std::string& text) {
  int64_t mb = 0;
  bool ok = !text.empty() && text.size() <= 5;
  for (char c : text) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) mb = mb * 10 + (c - '0');
  }
  if (!ok || mb < 16 || mb > 4096) {
    return InvalidArgument(fmt::format("'{}' is not a Redis size: give --size MB, 16 to 4096 (default {})",
                                       text.substr(0, 32), kRedisDefaultMb));
  }
  return mb;
}

Result<void> ValidateRedisPolicy(const std::string& policy) {
  for (auto p : kPolicies) {
    if (p == policy) return {};
  }
  return InvalidArgument(fmt::format("'{}' is not a maxmemory policy: use one of {}", policy.substr(0, 32),
                                     fmt::join(kPolicies, ", ")));
}

std::string RedisUrl(const Addon& addon) {
  return fmt::format("redis://default:{}@{}:{}", addon.db_password, AddonServiceName(addon.name), kRedisPort);
}

ServiceSpec MakeRedisServiceSpec(const Addon& addon, const std::string& install,
                                 const std::vector<std::string>& networks) {
  const int64_t size_mb = addon.size_mb > 0 ? addon.size_mb : kRedisDefaultMb;
  ServiceSpec s = AddonServiceBase(addon, install, networks);
  s.image = std::string(kRedisImage);
  s.env = {"REDIS_PASSWORD=" + addon.db_password, fmt::format("REDIS_MAXMEMORY_MB={}", size_mb),
           "REDIS_POLICY=" + (addon.policy.empty() ? std::string("noeviction") : addon.policy)};
  s.mounts = {BindMount{AddonVolumeName(install, addon.name), "/data", false, true}};
  s.stop_grace_ns = 30 * kNanosPerSecond;
  s.health_check = HealthCheckSpec{{"CMD-SHELL", "/usr/local/bin/mothership-redis cli ping | grep -q PONG"},
                                   2 * kNanosPerSecond, 5 * kNanosPerSecond, 3, 30 * kNanosPerSecond};
  s.limits = ResourceLimits{(2 * size_mb + 64) << 20, kNanosPerSecond, 256, 0};
  return s;
}

}  // namespace ms
