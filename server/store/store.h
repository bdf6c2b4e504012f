#pragma once
// Store: Mothership's state (apps, SSH keys, config vars, deploys, releases) as
// typed operations over the SQLite Database. Every method is safe to call from any
// thread; each is atomic on its own.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/common/result.h"
#include "server/store/database.h"

namespace ms {

enum class Role { kAdmin, kDeveloper };
std::string_view RoleName(Role role);
Result<Role> ParseRole(std::string_view name);

struct App {
  int64_t id = 0;
  std::string name;
  std::string deploy_branch;  // empty until the first push of main or master
  std::string created_at;
};

struct SshKey {
  int64_t id = 0;
  std::string name;
  std::string fingerprint;  // "SHA256:..."
  std::string public_key;   // "ssh-ed25519 AAAA..."
  Role role = Role::kDeveloper;
  std::string created_at;
};

struct Deploy {
  int64_t id = 0;
  std::string app;
  std::string commit;
  std::string ref;
  std::string key_name;
  std::string status;  // running, succeeded, failed
  std::string message;
  std::string started_at;
  std::string finished_at;
};

using ConfigVars = std::map<std::string, std::string>;

// An immutable release: what ran (image), with what config, which process types.
struct Release {
  int version = 0;
  std::string image;
  std::string description;  // "Deploy 1a2b3c4 by alice", "Set FOO by bob"
  ConfigVars config;
  std::map<std::string, std::string> process_types;  // type -> command
  int64_t deploy_id = 0;                             // 0: not from a build
  std::string created_at;
};

// Replicas per process type.
using Formation = std::map<std::string, int>;

class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path);

  // Apps. Errors: kAlreadyExists, kNotFound with a message naming the app.
  Result<App> CreateApp(const std::string& name);
  Result<App> GetApp(const std::string& name);
  Result<std::vector<App>> ListApps();
  Result<void> RenameApp(const std::string& old_name, const std::string& new_name);
  Result<void> DeleteApp(const std::string& name);
  Result<void> SetDeployBranch(const std::string& app, const std::string& branch);

  // SSH keys.
  Result<SshKey> AddKey(const SshKey& key);
  Result<std::optional<SshKey>> FindKeyByFingerprint(const std::string& fingerprint);
  Result<std::vector<SshKey>> ListKeys();
  Result<void> RemoveKey(const std::string& name);

  // Config vars: set and unset are all-or-nothing.
  Result<ConfigVars> GetConfig(const std::string& app);
  Result<void> SetConfig(const std::string& app, const ConfigVars& vars);
  // Returns the keys that were set (and are now removed).
  Result<std::vector<std::string>> UnsetConfig(const std::string& app,
                                               const std::vector<std::string>& keys);

  // Deploys.
  Result<int64_t> StartDeploy(const Deploy& deploy);
  Result<void> FinishDeploy(int64_t id, bool succeeded, const std::string& message);
  Result<std::vector<Deploy>> ListDeploys(const std::string& app, int limit);
  // The buildpacks chosen for an app, in order (empty: detect).
  Result<std::vector<std::string>> GetBuildpacks(const std::string& app);
  Result<void> SetBuildpacks(const std::string& app, const std::vector<std::string>& urls);

  // Stores the build output of a deploy.
  Result<void> SetDeployLog(int64_t id, const std::string& log);
  Result<std::string> DeployLog(const std::string& app, int64_t id);

  // Releases: version numbers count up per app from 1.
  Result<int> NextReleaseVersion(const std::string& app);
  // Records a release; its config becomes the app's config in the same
  // transaction (a config change is a release).
  Result<void> CreateRelease(const std::string& app, const Release& release);
  // Newest first.
  Result<std::vector<Release>> ListReleases(const std::string& app, int limit);
  // kNotFound naming the version when there is none.
  Result<Release> GetRelease(const std::string& app, int version);
  // nullopt before the first release.
  Result<std::optional<Release>> LatestRelease(const std::string& app);

  // Formation: types without a row run their default (web 1, others 0).
  Result<Formation> GetFormation(const std::string& app);
  Result<void> SetFormation(const std::string& app, const Formation& formation);
  // The HTTP health check path ("" : TCP connect). One set with checks:set
  // wins over app.json's; app.json's follows each deploy.
  Result<std::string> GetCheckPath(const std::string& app);
  Result<void> SetCheckPath(const std::string& app, const std::string& path);
  Result<void> SetAppJsonCheckPath(const std::string& app, const std::string& path);

  // Custom domains (domains:add). AddDomain fails with kAlreadyExists naming the
  // app that has it.
  Result<std::vector<std::string>> ListDomains(const std::string& app);
  Result<void> AddDomain(const std::string& app, const std::string& host);
  // false when the app did not have it.
  Result<bool> RemoveDomain(const std::string& app, const std::string& host);

  // Marks deploys still 'running' (the daemon stopped during them) as failed.
  Result<int> FailInterruptedDeploys();

 private:
  explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Result<int64_t> AppId(const std::string& name);

  std::unique_ptr<Database> db_;
};

}  // namespace ms
