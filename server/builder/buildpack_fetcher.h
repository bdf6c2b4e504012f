#pragma once
// Third-party buildpacks (buildpack_source.h says which are allowed), fetched
// with git into a cache directory keyed by location and ref, so each is
// fetched once. A fetch has a time budget and a size cap; one location is
// fetched by one thread at a time, and a slow one holds up only the builds
// that wait for it.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "server/builder/buildpack_source.h"
#include "server/common/result.h"

namespace ms {

struct BuildpackFetchLimits {
  int timeout_seconds = 120;                  // buildpack_fetch_timeout_seconds
  int64_t max_bytes = int64_t{100} << 20;     // buildpack_max_mb
};

class BuildpackFetcher {
 public:
  BuildpackFetcher(std::filesystem::path cache_dir, BuildpackFetchLimits limits)
      : cache_dir_(std::move(cache_dir)), limits_(limits) {}

  // The directory holding a kRemote or kLocal buildpack at its ref (default:
  // the repository's HEAD). `fresh` is set when it was fetched just now.
  Result<std::filesystem::path> Fetch(const BuildpackSource& source, bool* fresh = nullptr);

 private:
  std::mutex& LockFor(const std::string& key);

  std::filesystem::path cache_dir_;
  BuildpackFetchLimits limits_;
  std::mutex locks_mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> locks_;
};

}  // namespace ms
