#include "server/builder/buildpack_fetcher.h"

#include <fmt/format.h>
#include <git2.h>
#include <unistd.h>

#include <functional>

namespace ms {
namespace {

std::string GitError(std::string_view what) {
  const git_error* e = git_error_last();
  return fmt::format("{}: {}", what, e && e->message ? e->message : "unknown error");
}

}  // namespace

bool BuildpackFetcher::IsGitUrl(const std::string& spec) {
  for (const char* scheme : {"https://", "http://", "git://", "ssh://", "file://"}) {
    if (spec.starts_with(scheme)) return true;
  }
  return spec.starts_with("/");
}

Result<std::filesystem::path> BuildpackFetcher::Fetch(const std::string& spec, bool* fresh) {
  if (fresh) *fresh = false;
  if (!IsGitUrl(spec)) {
    return InvalidArgument(fmt::format("'{}' is not a git URL (https://..., file://... or a path)", spec.substr(0, 100)));
  }
  auto hash = spec.find('#');
  std::string url = spec.substr(0, hash);
  std::string ref = hash == std::string::npos ? "" : spec.substr(hash + 1);
  auto dir = cache_dir_ / fmt::format("{:016x}", std::hash<std::string>{}(spec));

  std::lock_guard lock(mu_);
  std::error_code ec;
  if (std::filesystem::exists(dir / ".mothership-fetched", ec)) return dir;

  git_libgit2_init();
  std::filesystem::create_directories(cache_dir_, ec);
  auto tmp = cache_dir_ / fmt::format("tmp-{}-{}", getpid(), std::hash<std::string>{}(spec));
  std::filesystem::remove_all(tmp, ec);
  git_repository* repo = nullptr;
  git_clone_options opts = GIT_CLONE_OPTIONS_INIT;
  int rc = git_clone(&repo, url.c_str(), tmp.c_str(), &opts);
  Result<std::filesystem::path> result = dir;
  if (rc != 0) {
    result = Failed(GitError(fmt::format("cannot fetch buildpack {}", url)));
  } else if (!ref.empty()) {
    git_object* target = nullptr;
    std::string remote_ref = "origin/" + ref;
    if (git_revparse_single(&target, repo, remote_ref.c_str()) != 0 &&
        git_revparse_single(&target, repo, ref.c_str()) != 0) {
      result = NotFound(fmt::format("buildpack {} has no branch, tag or commit '{}'", url, ref));
    } else {
      git_object* commit = nullptr;
      git_checkout_options checkout = GIT_CHECKOUT_OPTIONS_INIT;
      checkout.checkout_strategy = GIT_CHECKOUT_FORCE;
      if (git_object_peel(&commit, target, GIT_OBJECT_COMMIT) != 0 ||
          git_checkout_tree(repo, commit, &checkout) != 0 ||
          git_repository_set_head_detached(repo, git_object_id(commit)) != 0) {
        result = Failed(GitError(fmt::format("cannot check out {} of buildpack {}", ref, url)));
      }
      git_object_free(commit);
      git_object_free(target);
    }
  }
  git_repository_free(repo);
  git_libgit2_shutdown();
  if (!result) {
    std::filesystem::remove_all(tmp, ec);
    return result;
  }
  std::filesystem::remove_all(tmp / ".git", ec);
  std::filesystem::remove_all(dir, ec);
  std::filesystem::rename(tmp, dir, ec);
  if (ec) return Failed(fmt::format("cannot store buildpack {}: {}", url, ec.message()));
  std::FILE* mark = std::fopen((dir / ".mothership-fetched").c_str(), "w");
  if (mark) std::fclose(mark);
  if (fresh) *fresh = true;
  return dir;
}

}  // namespace ms
