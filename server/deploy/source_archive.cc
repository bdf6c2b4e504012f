#include "server/deploy/source_archive.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "server/common/gzip.h"
#include "server/git/deploy_step.h"

namespace ms {
namespace {

// "a/b/c" -> its parts; an error for "", absolute paths, "." or ".." parts.
Result<void> CheckPath(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.size() > 4096) {
    return InvalidArgument(fmt::format("the archive has a path that is not relative: '{}'", path.substr(0, 200)));
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = std::string_view(path).substr(start, end - start);
    if (part == "." || part == ".." || (part.empty() && end != path.size())) {
      return InvalidArgument(fmt::format("the archive has a path that leaves its folder: '{}'", path.substr(0, 200)));
    }
    start = end + 1;
  }
  return {};
}

}  // namespace

Result<std::vector<TarEntry>> UnpackSource(std::string_view tar_gz, size_t max_bytes) {
  auto tar = Gunzip(tar_gz, max_bytes + (max_bytes >> 4) + (1 << 20));  // the tar's headers and padding too
  if (!tar) return std::unexpected(tar.error());
  auto read = ReadTarEntries(*tar, max_bytes);
  if (!read) return std::unexpected(read.error());
  std::vector<TarEntry> entries;
  for (auto& e : *read) {
    while (e.path.ends_with('/')) e.path.pop_back();
    if (e.path.empty() || e.path == ".") continue;
    if (auto r = CheckPath(e.path); !r) return std::unexpected(r.error());
    if (e.path == ".git" || e.path.starts_with(".git/")) continue;
    entries.push_back(std::move(e));
  }
  // One top-level directory holding everything: its contents are the app.
  std::set<std::string> tops;
  for (const auto& e : entries) tops.insert(e.path.substr(0, e.path.find('/')));
  if (tops.size() == 1) {
    const std::string top = *tops.begin();
    bool is_dir = std::any_of(entries.begin(), entries.end(), [&](const TarEntry& e) {
      return e.path.size() > top.size() || e.kind == TarEntry::kDirectory;
    });
    if (is_dir) {
      std::vector<TarEntry> inner;
      for (auto& e : entries) {
        if (e.path.size() <= top.size() + 1) continue;
        e.path.erase(0, top.size() + 1);
        inner.push_back(std::move(e));
      }
      entries = std::move(inner);
    }
  }
  std::vector<TarEntry> kept;
  std::set<std::string> seen;
  for (auto& e : entries) {
    if (e.path == ".git" || e.path.starts_with(".git/")) continue;
    if (e.kind == TarEntry::kDirectory) continue;
    // The last of two entries of one path wins, as tar would extract them.
    if (!seen.insert(e.path).second) {
      std::erase_if(kept, [&](const TarEntry& k) { return k.path == e.path; });
    }
    kept.push_back(std::move(e));
  }
  // A file and a directory of one name cannot both be in a tree.
  for (const auto& e : kept) {
    for (size_t slash = e.path.find('/'); slash != std::string::npos; slash = e.path.find('/', slash + 1)) {
      if (seen.contains(e.path.substr(0, slash))) {
        return InvalidArgument(fmt::format("the archive has '{}' both as a file and as a folder",
                                           e.path.substr(0, slash).substr(0, 200)));
      }
    }
  }
  if (kept.empty()) return InvalidArgument("the archive has no files; send the .tar.gz of the app's folder");
  return kept;
}

Result<SourceCommit> CommitSource(Services& services, const Caller& caller, const std::string& app,
                                  const std::vector<TarEntry>& entries) {
  auto found = services.store.GetApp(app);
  if (!found) return std::unexpected(found.error());
  std::string branch = found->deploy_branch.empty() ? "main" : found->deploy_branch;
  const std::string ref = "refs/heads/" + branch;
  auto parent = services.repos.ResolveRef(app, ref);
  if (!parent) return std::unexpected(parent.error());
  auto commit = services.repos.CommitEntries(app, entries, *parent, caller.key_name,
                                             "Deploy from the API by " + ActorName(caller));
  if (!commit) return std::unexpected(commit.error());
  if (found->deploy_branch.empty()) {
    if (auto r = services.store.SetDeployBranch(app, branch); !r) return std::unexpected(r.error());
    if (auto r = services.repos.SetHead(app, branch); !r) return std::unexpected(r.error());
  }
  return SourceCommit{app, ref, *commit};
}

Result<void> DeploySource(Services& services, const Caller& caller, const SourceCommit& source, Output& out,
                          std::function<bool()> cancelled, std::function<void(int64_t)> on_started) {
  DeployRequest request{source.app, source.commit, source.ref, caller.key_name, {}, std::move(cancelled),
                        std::move(on_started)};
  auto result = services.deploy.Run(request, out);
  (void)services.store.AddAudit({.actor = ActorName(caller),
                                 .address = caller.address,
                                 .app = source.app,
                                 .action = "deploy",
                                 .detail = fmt::format("{} {} {} (archive)", source.commit.substr(0, 7), source.ref,
                                                       result ? "succeeded" : "failed")});
  if (!result) {
    out.Write(fmt::format("-----> Deploy failed: {}\n", result.error().message));
    out.Write(fmt::format("-----> {} is unchanged.\n", source.app));
    return result;
  }
  if (auto r = services.repos.SetRef(source.app, source.ref, source.commit); !r) return r;
  return {};
}

}  // namespace ms
