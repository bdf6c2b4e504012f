#pragma once
// Third-party buildpacks from git URLs ("https://host/repo.git#v1.2", or a local
// path), fetched with libgit2 into a cache directory keyed by URL and ref, so
// each URL and ref is fetched once. Different URLs may be fetched at once; one
// URL is fetched by one thread at a time.

#include <filesystem>
#include <mutex>
#include <string>

#include "server/common/result.h"

namespace ms {

class BuildpackFetcher {
 public:
  explicit BuildpackFetcher(std::filesystem::path cache_dir) : cache_dir_(std::move(cache_dir)) {}

  // True for what Fetch takes: a URL with a scheme git can fetch, or an absolute path.
  static bool IsGitUrl(const std::string& spec);

  // The directory holding the buildpack at URL#REF (REF: branch, tag or commit;
  // default: the remote's HEAD). `fresh` is set when it was fetched just now.
  Result<std::filesystem::path> Fetch(const std::string& spec, bool* fresh = nullptr);

 private:
  std::filesystem::path cache_dir_;
  std::mutex mu_;
};

}  // namespace ms
