#pragma once
// AppRepos: the bare git repository of every app (DATA_DIR/repos/APP.git), made
// and inspected with libgit2, with Mothership's hooks installed. Callers serialise
// work on one app through AppLocks; different apps may be used from different
// threads at once.

#include <filesystem>
#include <string>

#include "server/common/result.h"
#include "server/common/tar_reader.h"

namespace ms {

class TarWriter;

class AppRepos {
 public:
  // hooks_dir holds the hook scripts (pre-receive ...) copied into every repository.
  AppRepos(std::filesystem::path repos_dir, std::filesystem::path hooks_dir,
           std::filesystem::path trash_dir);
  ~AppRepos();
  AppRepos(const AppRepos&) = delete;
  AppRepos& operator=(const AppRepos&) = delete;

  std::filesystem::path PathOf(const std::string& app) const;
  bool Exists(const std::string& app) const;

  // Makes a bare repository with HEAD at main and the hooks; fails when it exists.
  Result<void> Create(const std::string& app);
  // Copies the current hook scripts in (after an upgrade, at daemon start).
  Result<void> InstallHooks(const std::string& app) const;
  Result<void> Rename(const std::string& old_app, const std::string& new_app);
  // Moves the repository out of the way at once, then deletes it.
  Result<void> Remove(const std::string& app);

  // Points HEAD (what `git clone` checks out) at refs/heads/BRANCH.
  Result<void> SetHead(const std::string& app, const std::string& branch);
  // Moves REF (refs/heads/...) to the commit SHA, which the repository must
  // hold; NotFound when it does not.
  Result<void> SetRef(const std::string& app, const std::string& ref, const std::string& sha);
  // Links (or copies) every object file of a push's quarantine directory into
  // the repository, so a deploy that is recorded keeps its commit even if git
  // never finishes the push (the daemon stopped). Objects already there stay;
  // ones no ref reaches are left for git gc.
  Result<void> KeepObjects(const std::string& app, const std::filesystem::path& quarantine) const;
  // Writes a commit of `entries` (the whole tree: files with their executable
  // bit, and symbolic links; directories are implied) whose parent is
  // `parent` ("" for none) into the app's repository, on no branch; returns
  // its sha. Paths must already be clean (relative, no "." or ".." parts).
  Result<std::string> CommitEntries(const std::string& app, const std::vector<TarEntry>& entries,
                                    const std::string& parent, const std::string& author,
                                    const std::string& message) const;
  // The commit a ref points at, or "" when the ref does not exist.
  Result<std::string> ResolveRef(const std::string& app, const std::string& ref) const;
  // Writes the files of a commit's tree (no .git) into `tar` under `prefix`, with
  // executable bits and symlinks; submodules are skipped.
  Result<void> WriteTree(const std::string& app, const std::string& sha,
                         const std::filesystem::path& extra_objects, TarWriter& tar,
                         const std::string& prefix) const;
  // The contents of a file in a commit; NotFound, or InvalidArgument for a
  // symbolic link (its content would be the target path, not the file).
  Result<std::string> ReadFile(const std::string& app, const std::string& sha,
                               const std::filesystem::path& extra_objects,
                               const std::string& path) const;
  // The first line of a commit's message. During a push, new objects live in git's
  // quarantine directory until the hooks accept them: pass it as extra_objects.
  Result<std::string> CommitSummary(const std::string& app, const std::string& sha,
                                    const std::filesystem::path& extra_objects = {}) const;

 private:
  std::filesystem::path repos_dir_;
  std::filesystem::path hooks_dir_;
  std::filesystem::path trash_dir_;
};

}  // namespace ms
