#include "server/git/app_repos.h"

#include "server/common/tar_writer.h"

#include <fmt/format.h>
#include <git2.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>

namespace ms {
namespace {

std::string GitError(std::string_view what) {
  const git_error* e = git_error_last();
  return fmt::format("{}: {}", what, e && e->message ? e->message : "unknown libgit2 error");
}

struct RepoDeleter {
  void operator()(git_repository* r) const { git_repository_free(r); }
};
using RepoPtr = std::unique_ptr<git_repository, RepoDeleter>;

Result<RepoPtr> OpenBare(const std::filesystem::path& path) {
  git_repository* repo = nullptr;
  if (git_repository_open_bare(&repo, path.c_str()) != 0) {
    return Failed(GitError(fmt::format("cannot open repository {}", path.string())));
  }
  return RepoPtr(repo);
}

Result<RepoPtr> OpenWithObjects(const std::filesystem::path& path,
                                const std::filesystem::path& extra_objects) {
  auto repo = OpenBare(path);
  if (!repo || extra_objects.empty()) return repo;
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, repo->get()) != 0 ||
      git_odb_add_disk_alternate(odb, extra_objects.c_str()) != 0) {
    git_odb_free(odb);
    return Failed(GitError("cannot read the pushed objects"));
  }
  git_odb_free(odb);
  return repo;
}

struct TreeDeleter {
  void operator()(git_tree* t) const { git_tree_free(t); }
};

Result<std::unique_ptr<git_tree, TreeDeleter>> CommitTree(git_repository* repo, const std::string& sha) {
  git_oid oid;
  if (git_oid_fromstr(&oid, sha.c_str()) != 0) return InvalidArgument(fmt::format("'{}' is not a commit id", sha));
  git_commit* commit = nullptr;
  if (git_commit_lookup(&commit, repo, &oid) != 0) return NotFound(GitError(fmt::format("no commit {}", sha)));
  git_tree* tree = nullptr;
  int rc = git_commit_tree(&tree, commit);
  git_commit_free(commit);
  if (rc != 0) return Failed(GitError("cannot read the commit's tree"));
  return std::unique_ptr<git_tree, TreeDeleter>(tree);
}

// The commit SHA in repo (the caller frees it): InvalidArgument for a
// malformed id, NotFound when the repository does not hold it.
Result<git_commit*> LookupCommit(git_repository* repo, const std::string& app, const std::string& sha) {
  git_oid oid;
  if (git_oid_fromstr(&oid, sha.c_str()) != 0) return InvalidArgument(fmt::format("'{}' is not a commit id", sha));
  git_commit* commit = nullptr;
  if (git_commit_lookup(&commit, repo, &oid) != 0) {
    return NotFound(GitError(fmt::format("no commit {} in '{}'", sha, app)));
  }
  return commit;
}

}  // namespace

AppRepos::AppRepos(std::filesystem::path repos_dir, std::filesystem::path hooks_dir,
                   std::filesystem::path trash_dir)
    : repos_dir_(std::move(repos_dir)), hooks_dir_(std::move(hooks_dir)),
      trash_dir_(std::move(trash_dir)) {
  git_libgit2_init();
}

AppRepos::~AppRepos() { git_libgit2_shutdown(); }

std::filesystem::path AppRepos::PathOf(const std::string& app) const {
  return repos_dir_ / (app + ".git");
}

bool AppRepos::Exists(const std::string& app) const {
  std::error_code ec;
  return std::filesystem::exists(PathOf(app), ec);
}

Result<void> AppRepos::Create(const std::string& app) {
  auto path = PathOf(app);
  if (Exists(app)) return AlreadyExists(fmt::format("repository for '{}' already exists", app));
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
  opts.initial_head = "main";
  git_repository* repo = nullptr;
  if (git_repository_init_ext(&repo, path.c_str(), &opts) != 0) {
    return Failed(GitError(fmt::format("cannot create repository for '{}'", app)));
  }
  RepoPtr owned(repo);
  if (auto r = InstallHooks(app); !r) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    return r;
  }
  return {};
}

Result<void> AppRepos::InstallHooks(const std::string& app) const {
  auto dest = PathOf(app) / "hooks";
  std::error_code ec;
  std::filesystem::create_directories(dest, ec);
  for (const auto& entry : std::filesystem::directory_iterator(hooks_dir_, ec)) {
    if (!entry.is_regular_file()) continue;
    auto target = dest / entry.path().filename();
    std::filesystem::copy_file(entry.path(), target,
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return Failed(fmt::format("cannot install hook {}: {}", target.string(), ec.message()));
    std::filesystem::permissions(target, std::filesystem::perms(0755), ec);
  }
  if (ec) {
    return Failed(fmt::format("cannot read hooks from {}: {}", hooks_dir_.string(), ec.message()));
  }
  return {};
}

Result<void> AppRepos::Rename(const std::string& old_app, const std::string& new_app) {
  if (Exists(new_app)) return AlreadyExists(fmt::format("repository for '{}' already exists", new_app));
  std::error_code ec;
  std::filesystem::rename(PathOf(old_app), PathOf(new_app), ec);
  if (ec) return Failed(fmt::format("cannot rename the repository of '{}': {}", old_app, ec.message()));
  return {};
}

Result<void> AppRepos::Remove(const std::string& app) {
  if (!Exists(app)) return {};
  static std::atomic<int> counter{0};
  std::error_code ec;
  std::filesystem::create_directories(trash_dir_, ec);
  auto trash = trash_dir_ / fmt::format("{}.{}.{}", app, getpid(), counter++);
  std::filesystem::rename(PathOf(app), trash, ec);
  if (ec) return Failed(fmt::format("cannot remove the repository of '{}': {}", app, ec.message()));
  std::filesystem::remove_all(trash, ec);  // a leftover is cleaned at the next start
  return {};
}

Result<void> AppRepos::SetHead(const std::string& app, const std::string& branch) {
  auto repo = OpenBare(PathOf(app));
  if (!repo) return std::unexpected(repo.error());
  std::string ref = "refs/heads/" + branch;
  if (git_repository_set_head(repo->get(), ref.c_str()) != 0) {
    return Failed(GitError(fmt::format("cannot point HEAD of '{}' at {}", app, branch)));
  }
  return {};
}

Result<void> AppRepos::SetRef(const std::string& app, const std::string& ref, const std::string& sha) {
  auto repo = OpenBare(PathOf(app));
  if (!repo) return std::unexpected(repo.error());
  auto commit = LookupCommit(repo->get(), app, sha);
  if (!commit) return std::unexpected(commit.error());
  git_oid oid = *git_commit_id(*commit);
  git_commit_free(*commit);
  git_reference* out = nullptr;
  if (git_reference_create(&out, repo->get(), ref.c_str(), &oid, 1, "mothership: the recorded deploy") != 0) {
    return Failed(GitError(fmt::format("cannot move {} of '{}' to {}", ref, app, sha.substr(0, 7))));
  }
  git_reference_free(out);
  return {};
}

Result<void> AppRepos::KeepObjects(const std::string& app, const std::filesystem::path& quarantine) const {
  if (quarantine.empty()) return {};
  const std::filesystem::path objects = PathOf(app) / "objects";
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(quarantine, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    auto target = objects / std::filesystem::relative(it->path(), quarantine, ec);
    if (ec || std::filesystem::exists(target, ec)) continue;
    std::filesystem::create_directories(target.parent_path(), ec);
    // A temporary name first: git never sees half a file.
    auto tmp = target;
    tmp += ".keep-tmp";
    std::filesystem::create_hard_link(it->path(), tmp, ec);
    if (ec) {
      ec.clear();
      std::filesystem::copy_file(it->path(), tmp, std::filesystem::copy_options::overwrite_existing, ec);
    }
    if (!ec) std::filesystem::rename(tmp, target, ec);
    if (ec) {
      std::string why = ec.message();
      std::filesystem::remove(tmp, ec);
      return Failed(fmt::format("cannot keep the pushed objects of '{}' ({}): {}", app, target.string(), why));
    }
  }
  if (ec) return Failed(fmt::format("cannot read the pushed objects of '{}': {}", app, ec.message()));
  return {};
}

Result<std::string> AppRepos::CommitEntries(const std::string& app, const std::vector<TarEntry>& entries,
                                            const std::string& parent, const std::string& author,
                                            const std::string& message) const {
  auto repo = OpenBare(PathOf(app));
  if (!repo) return std::unexpected(repo.error());
  git_index* raw_index = nullptr;
  if (git_index_new(&raw_index) != 0) return Failed(GitError("cannot make an index"));
  std::unique_ptr<git_index, void (*)(git_index*)> index(raw_index, git_index_free);
  for (const TarEntry& e : entries) {
    if (e.kind == TarEntry::kDirectory) continue;
    const std::string& bytes = e.kind == TarEntry::kSymlink ? e.target : e.data;
    git_index_entry entry{};
    if (git_blob_create_from_buffer(&entry.id, repo->get(), bytes.data(), bytes.size()) != 0) {
      return Failed(GitError(fmt::format("cannot store {}", e.path)));
    }
    entry.path = e.path.c_str();
    entry.mode = e.kind == TarEntry::kSymlink ? GIT_FILEMODE_LINK
                 : (e.mode & 0111)            ? GIT_FILEMODE_BLOB_EXECUTABLE
                                              : GIT_FILEMODE_BLOB;
    if (git_index_add(index.get(), &entry) != 0) {
      return InvalidArgument(GitError(fmt::format("cannot add {} to the commit", e.path)));
    }
  }
  git_oid tree_id;
  if (git_index_write_tree_to(&tree_id, index.get(), repo->get()) != 0) {
    return InvalidArgument(GitError("cannot make a tree of the archive's files"));
  }
  git_tree* tree = nullptr;
  if (git_tree_lookup(&tree, repo->get(), &tree_id) != 0) return Failed(GitError("cannot read the new tree"));
  std::unique_ptr<git_tree, void (*)(git_tree*)> tree_owner(tree, git_tree_free);
  git_commit* parent_commit = nullptr;
  if (!parent.empty()) {
    auto found = LookupCommit(repo->get(), app, parent);
    if (!found) return std::unexpected(found.error());
    parent_commit = *found;
  }
  std::unique_ptr<git_commit, void (*)(git_commit*)> parent_owner(parent_commit, git_commit_free);
  git_signature* sig = nullptr;
  if (git_signature_now(&sig, author.c_str(), (author + "@mothership").c_str()) != 0) {
    return Failed(GitError("cannot sign the commit"));
  }
  std::unique_ptr<git_signature, void (*)(git_signature*)> sig_owner(sig, git_signature_free);
  const git_commit* parents[1] = {parent_commit};
  git_oid commit_id;
  if (git_commit_create(&commit_id, repo->get(), nullptr, sig, sig, "UTF-8", message.c_str(), tree,
                        parent_commit ? 1 : 0, parents) != 0) {
    return Failed(GitError("cannot write the commit"));
  }
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &commit_id);
  return std::string(hex);
}

Result<std::string> AppRepos::ResolveRef(const std::string& app, const std::string& ref) const {
  auto repo = OpenBare(PathOf(app));
  if (!repo) return std::unexpected(repo.error());
  git_oid oid;
  int rc = git_reference_name_to_id(&oid, repo->get(), ref.c_str());
  if (rc == GIT_ENOTFOUND) return std::string();
  if (rc != 0) return Failed(GitError(fmt::format("cannot read {} of '{}'", ref, app)));
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &oid);
  return std::string(hex);
}

Result<std::string> AppRepos::CommitSummary(const std::string& app, const std::string& sha,
                                            const std::filesystem::path& extra_objects) const {
  auto repo = OpenWithObjects(PathOf(app), extra_objects);
  if (!repo) return std::unexpected(repo.error());
  auto found = LookupCommit(repo->get(), app, sha);
  if (!found) return std::unexpected(found.error());
  git_commit* commit = *found;
  const char* summary = git_commit_summary(commit);
  std::string out = summary ? summary : "";
  git_commit_free(commit);
  return out;
}

Result<void> AppRepos::WriteTree(const std::string& app, const std::string& sha,
                                 const std::filesystem::path& extra_objects, TarWriter& tar,
                                 const std::string& prefix) const {
  auto repo = OpenWithObjects(PathOf(app), extra_objects);
  if (!repo) return std::unexpected(repo.error());
  auto tree = CommitTree(repo->get(), sha);
  if (!tree) return std::unexpected(tree.error());
  struct Walk {
    git_repository* repo;
    TarWriter& tar;
    const std::string& prefix;
    std::optional<Error> error;
  } walk{repo->get(), tar, prefix, std::nullopt};
  auto callback = [](const char* root, const git_tree_entry* entry, void* p) -> int {
    auto* w = static_cast<Walk*>(p);
    std::string path = w->prefix + root + git_tree_entry_name(entry);
    git_filemode_t mode = git_tree_entry_filemode(entry);
    Result<void> r;
    if (mode == GIT_FILEMODE_TREE) {
      r = w->tar.AddDirectory(path);
    } else if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE ||
               mode == GIT_FILEMODE_LINK) {
      git_blob* blob = nullptr;
      if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(entry)) != 0) {
        w->error = Error{ErrorCode::kFailed, GitError("cannot read " + path)};
        return -1;
      }
      std::string_view data(static_cast<const char*>(git_blob_rawcontent(blob)),
                            static_cast<size_t>(git_blob_rawsize(blob)));
      r = mode == GIT_FILEMODE_LINK
              ? w->tar.AddSymlink(path, data)
              : w->tar.AddFile(path, data, mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644);
      git_blob_free(blob);
    }
    if (!r) {
      w->error = r.error();
      return -1;
    }
    return 0;
  };
  if (git_tree_walk(tree->get(), GIT_TREEWALK_PRE, callback, &walk) != 0) {
    return std::unexpected(walk.error.value_or(Error{ErrorCode::kFailed, GitError("cannot walk the tree")}));
  }
  return {};
}

Result<std::string> AppRepos::ReadFile(const std::string& app, const std::string& sha,
                                       const std::filesystem::path& extra_objects,
                                       const std::string& path) const {
  auto repo = OpenWithObjects(PathOf(app), extra_objects);
  if (!repo) return std::unexpected(repo.error());
  auto tree = CommitTree(repo->get(), sha);
  if (!tree) return std::unexpected(tree.error());
  git_tree_entry* entry = nullptr;
  if (git_tree_entry_bypath(&entry, tree->get(), path.c_str()) != 0) {
    return NotFound(fmt::format("{} is not in the commit", path));
  }
  if (git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK) {
    git_tree_entry_free(entry);
    // Its content is the link's target, not what a build would read.
    return InvalidArgument(fmt::format("{} is a symbolic link in the commit; commit the file itself", path));
  }
  git_blob* blob = nullptr;
  int rc = git_blob_lookup(&blob, repo->get(), git_tree_entry_id(entry));
  git_tree_entry_free(entry);
  if (rc != 0) return NotFound(fmt::format("{} is not a file", path));
  std::string data(static_cast<const char*>(git_blob_rawcontent(blob)),
                   static_cast<size_t>(git_blob_rawsize(blob)));
  git_blob_free(blob);
  return data;
}

}  // namespace ms
