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
  Result<void> CreateRelease(const std::string& app, int version, const std::string& image,
                             const std::string& description, int64_t deploy_id,
                             const std::string& config_json, const std::string& formation_json);

  // Marks deploys still 'running' (the daemon stopped during them) as failed.
  Result<int> FailInterruptedDeploys();

 private:
  explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Result<int64_t> AppId(const std::string& name);

  std::unique_ptr<Database> db_;
};

}  // namespace ms
