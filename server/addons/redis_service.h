#pragma once
// The Redis add-on as Docker sees it, pure functions like postgres_service.h
// (the same service name, volume, pinning, stop-first rolls and networks):
// - Debian's redis-server in mothership/redis:7 (buildpacks/stack/redis),
//   configured from the service's environment by mothership-redis: the
//   password, maxmemory (the add-on's size) and its policy (noeviction by
//   default: a full Redis refuses writes rather than drop a queue's jobs);
// - its data as an append-only file (fsync every second) in the volume at /data;
// - memory limit twice its size plus 64 MB (a rewrite of the append-only
//   file forks the server), 1 CPU, 256 processes, no capabilities.
// The apps get redis://default:PASSWORD@addon_NAME:6379 as NAME_URL.

#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"
#include "server/docker/engine_types.h"
#include "server/store/store.h"

namespace ms {

inline constexpr std::string_view kRedisImage = "mothership/redis:7";
inline constexpr std::string_view kRedisStackDir = "redis";  // buildpacks/stack/redis
inline constexpr int kRedisPort = 6379;
inline constexpr int64_t kRedisDefaultMb = 256;

// --size: 16 to 4096 (MB); --policy: one of Redis's maxmemory policies.
Result<int64_t> ParseRedisSize(const std::string& text);
Result<void> ValidateRedisPolicy(const std::string& policy);

std::string RedisUrl(const Addon& addon);
ServiceSpec MakeRedisServiceSpec(const Addon& addon, const std::string& install,
                                 const std::vector<std::string>& networks);

}  // namespace ms
