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
  std::string owner;  // a key name; "" only for apps made before any admin key existed
};

// The answer to a name that is not an app, and to an app the caller may not see:
// the same words, so that nobody learns which apps exist.
std::string NoSuchApp(std::string_view app);

// What a key name is to an app (admins are not special here: see apps/app_access.h).
enum class AppRole { kNone, kMember, kOwner };
std::string_view AppRoleName(AppRole role);

struct Member {
  std::string name;
  AppRole role = AppRole::kMember;
  std::string added_at;
};

// What keys:remove did.
struct KeyRemoval {
  std::vector<std::string> fingerprints;  // the keys removed
  bool name_gone = false;                 // the name has no key left: its access ended
  std::vector<std::string> apps_moved;    // the apps it owned, now the heir's
  std::string heir;
  int memberships_ended = 0;
  int tokens_removed = 0;  // its API tokens
};

// A certificate the proxy serves: an app's own (certs:add), ACME's for one
// host, or the admin's *.DOMAIN one.
struct CertRecord {
  std::string app{};
  std::string source{};             // "manual", "acme" or "wildcard"
  std::vector<std::string> names{};  // its DNS names
  std::string issuer{};
  std::string key_type{};           // "ECDSA P-256" ...
  int64_t not_before = 0;           // Unix seconds
  int64_t not_after = 0;
  std::string file{};               // under DATA_DIR/proxy/certs; "": none
  std::string added_at{};
};

// ACME for one host (APP.DOMAIN, an exact custom domain, or the platform's
// own mothership.DOMAIN): the certificate issued last and the manager's state.
struct AcmeHost {
  std::string host{};
  std::string app{};          // "": the platform's own host
  std::string status = "waiting";  // "waiting", "issued", "failing"
  std::string last_error{};
  int failures = 0;           // in a row
  int64_t next_attempt = 0;   // Unix seconds; 0: at once
  CertRecord cert{};          // cert.file empty: none issued yet
};

// One line of the audit log: who did what, when, from where.
struct AuditEntry {
  int64_t id = 0;
  std::string at{};
  std::string actor{};    // a key name
  std::string address{};  // "203.0.113.7:51234"; "" for the daemon itself
  std::string app{};      // the app's name at the time; "" for server-wide changes
  std::string action{};   // "config:set", "deploy", "keys:add" ...
  std::string detail{};   // "FOO BAR" (names, never values), "web=2", "v7 1a2b3c4 succeeded"
};

struct SshKey {
  int64_t id = 0;
  std::string name;
  std::string fingerprint;  // "SHA256:..."
  std::string public_key;   // "ssh-ed25519 AAAA..."
  Role role = Role::kDeveloper;
  std::string created_at;
};

// An API token (tokens:create): who it acts as, never the token itself.
struct ApiToken {
  int64_t id = 0;
  std::string key_name;  // the key name it acts as
  std::string name;      // unique per key name
  std::string created_at;
  std::string last_used_at;  // "" never
  int64_t expires_at = 0;    // Unix seconds; 0 never
};

// A dashboard sign-in (server/store/store_sessions.cc): a one-time link or a
// browser's session, and who it acts as.
struct WebSession {
  std::string key_name;
  Role role = Role::kDeveloper;
  std::string key_fingerprint;  // a key's link, and sessions signed in by one
  int64_t token_id = 0;         // sessions signed in with an API token
  std::string token_name;       // that token's name
  std::string csrf;
  int64_t expires_at = 0;
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

// An app deleted from the store whose resources are still to be removed.
struct DestroyedApp {
  std::string name;
  std::vector<int> versions;  // of its releases
};

// An add-on (addons:create): a database service made for an app, reached by
// the apps attached to it through NAME_URL.
struct Addon {
  int64_t id = 0;
  std::string name;  // unique: "shop-postgres"
  std::string kind;  // "postgres"
  std::string app;   // the app it was made for
  std::string node_id;  // the Swarm node its volume is on
  std::string db_name;
  std::string db_user;
  std::string db_password;
  std::string created_at;
  std::string backup_at;  // daily backups at "HH:MM" UTC; "" none
  std::string state;      // creating, ready, destroying
  int64_t size_mb = 0;    // redis: its maxmemory
  std::string policy;     // redis: its maxmemory-policy
};

// A named volume mounted into an app's processes (storage:mount).
struct StorageMount {
  std::string app;
  std::string name;     // "uploads"
  std::string path;     // "/app/uploads", in the processes
  std::string node_id;  // the Swarm node its volume is on (the app's processes are pinned there)
  std::string created_at;
};

// An app that gets an add-on's URL as NAME_URL.
struct AddonAttachment {
  std::string addon;
  std::string app;
  std::string name;  // "DATABASE": DATABASE_URL
};

// A dump of an add-on's database (pg:backups:capture).
struct AddonBackup {
  int64_t id = 0;
  int64_t addon_id = 0;  // Addon::id: an add-on made later with the same name has other backups
  std::string addon;
  std::string app;
  std::string status;  // running, succeeded, failed
  std::string reason;  // failed: why
  int64_t size = 0;
  std::string location;  // "local", "s3"
  std::string taken_by;
  std::string created_at;
  std::string finished_at;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path);

  // Apps. Errors: kAlreadyExists, kNotFound with a message naming the app.
  Result<App> CreateApp(const std::string& name, const std::string& owner);
  Result<App> GetApp(const std::string& name);
  Result<std::vector<App>> ListApps();
  // The apps a key name owns or is a member of.
  Result<std::vector<App>> ListAppsOf(const std::string& key_name);
  Result<void> RenameApp(const std::string& old_name, const std::string& new_name);
  // Deletes the app and everything recorded of it but the audit log, and
  // records it as destroyed until ForgetDestroyedApp: its services, images and
  // repository outlive the record until they are removed.
  Result<void> DeleteApp(const std::string& name);
  Result<std::vector<DestroyedApp>> ListDestroyedApps();
  Result<std::optional<DestroyedApp>> GetDestroyedApp(const std::string& name);
  Result<void> ForgetDestroyedApp(const std::string& name);
  Result<void> SetDeployBranch(const std::string& app, const std::string& branch);

  // Access (server/store/store_access.cc). kNotFound (NoSuchApp) when the app does not exist.
  Result<AppRole> RoleIn(const std::string& app, const std::string& key_name);
  // The owner first, then members by name.
  Result<std::vector<Member>> ListMembers(const std::string& app);
  // kAlreadyExists when it is a member or the owner already.
  Result<void> AddMember(const std::string& app, const std::string& key_name);
  // false when it was not a member.
  Result<bool> RemoveMember(const std::string& app, const std::string& key_name);
  // The new owner stops being a member; the old owner becomes one.
  Result<void> TransferApp(const std::string& app, const std::string& new_owner);

  // SSH keys. Keys that share a name share its role and its access; AddKey
  // fails (kFailed) when the name exists with another role.
  Result<SshKey> AddKey(const SshKey& key);
  Result<std::optional<SshKey>> FindKeyByFingerprint(const std::string& fingerprint);
  Result<std::vector<SshKey>> ListKeys();
  Result<std::vector<SshKey>> KeysNamed(const std::string& name);
  // Removes the name's key with that fingerprint, or every key of the name when
  // fingerprint is "". When no key of the name is left, its memberships end and
  // the apps it owns go to `heir` (or the oldest other admin when heir is the
  // name itself). Fails when it would remove the last admin.
  Result<KeyRemoval> RemoveKey(const std::string& name, const std::string& fingerprint,
                               const std::string& heir);

  // API tokens (server/store/store_tokens.cc), stored as the hex SHA-256 of
  // the token. AddToken: kAlreadyExists when the key name has a token of that name.
  Result<ApiToken> AddToken(const ApiToken& token, const std::string& hash);
  // The token with this hash whose key name still has a key, and is not
  // expired at `now` (Unix seconds); marks it used. nullopt otherwise.
  Result<std::optional<ApiToken>> UseToken(const std::string& hash, int64_t now);
  // A key name's tokens ("" : everyone's), by key name then name.
  Result<std::vector<ApiToken>> ListTokens(const std::string& key_name);
  // false when the key name has no token of that name.
  Result<bool> RemoveToken(const std::string& key_name, const std::string& name);

  // Dashboard sign-ins (server/store/store_sessions.cc), stored as the hex
  // SHA-256 of a link's code or a session's cookie. AddWebSession drops expired
  // ones, and a key name's oldest links or sessions past kMaxWebSessions.
  static constexpr int64_t kMaxWebSessions = 50;
  Result<void> AddWebSession(const std::string& hash, bool link, const WebSession& session);
  // The session (or, with `link`, the link, which it removes: links work once)
  // with this hash, unexpired at `now` and whose key or token still exists.
  Result<std::optional<WebSession>> FindWebSession(const std::string& hash, bool link, int64_t now);
  Result<void> RemoveWebSession(const std::string& hash);

  // The audit log (server/store/store_audit.cc). Records the app's id with its
  // name so the record follows a rename and outlives a destroy.
  Result<void> AddAudit(const AuditEntry& entry);
  // Newest first. `viewer` "" sees everything (admins); a key name sees the
  // records of the apps it owns or is a member of. `app` "" : every app.
  Result<std::vector<AuditEntry>> ListAudit(const std::string& app, const std::string& viewer,
                                            int limit);

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
  // Sizes chosen with ps:resize, by type; types without one run at the default.
  Result<std::map<std::string, std::string>> GetProcessSizes(const std::string& app);
  Result<void> SetProcessSizes(const std::string& app, const std::map<std::string, std::string>& sizes);
  // The HTTP health check path ("" : TCP connect). One set with checks:set
  // wins over app.json's; app.json's follows each deploy.
  Result<std::string> GetCheckPath(const std::string& app);
  Result<void> SetCheckPath(const std::string& app, const std::string& path);
  Result<void> SetAppJsonCheckPath(const std::string& app, const std::string& path);

  // Custom domains (domains:add). AddDomain fails with kAlreadyExists when any
  // app has the host (the message does not say which).
  Result<std::vector<std::string>> ListDomains(const std::string& app);
  // The app a host is a custom domain of; nullopt when none.
  Result<std::optional<std::string>> AppOfDomain(const std::string& host);
  Result<void> AddDomain(const std::string& app, const std::string& host);
  // false when the app did not have it.
  Result<bool> RemoveDomain(const std::string& app, const std::string& host);

  // Certificates (store_certs.cc). The apps' own (certs:add), one per app;
  // ListCerts(""): every app's.
  Result<std::vector<CertRecord>> ListCerts(const std::string& app);
  // Records the app's own certificate, replacing the one before.
  Result<void> PutCert(const CertRecord& cert);
  // false when the app had none.
  Result<bool> RemoveCert(const std::string& app);
  // ACME's hosts, every one, by host.
  Result<std::vector<AcmeHost>> ListAcmeHosts();
  // Records the host's row, replacing the one before (NotFound when its app is gone).
  Result<void> PutAcmeHost(const AcmeHost& host);
  // false when there was none.
  Result<bool> RemoveAcmeHost(const std::string& host);
  // certs:auto:enable / :disable: on unless disabled.
  Result<bool> GetCertAuto(const std::string& app);
  Result<void> SetCertAuto(const std::string& app, bool enabled);
  // The admin's *.DOMAIN certificate (app empty, source "wildcard"); nullopt: none.
  Result<std::optional<CertRecord>> GetWildcardCert();
  Result<void> PutWildcardCert(const CertRecord& cert);
  // false when there was none.
  Result<bool> RemoveWildcardCert();
  // http:redirect, per app (off unless set).
  Result<bool> GetHttpsRedirect(const std::string& app);
  Result<void> SetHttpsRedirect(const std::string& app, bool on);

  // Add-ons (store_addons.cc). CreateAddon records it attached to its app
  // as `attach_as`; kAlreadyExists when the name is taken or the app has an
  // attachment of that name.
  Result<Addon> CreateAddon(const Addon& addon, const std::string& attach_as);
  Result<std::optional<Addon>> GetAddon(const std::string& name);
  // Every add-on, by name.
  Result<std::vector<Addon>> ListAddons();
  // The app's attachments ("" : every app's), by app then name.
  Result<std::vector<AddonAttachment>> ListAttachments(const std::string& app);
  // The add-on's attachments, by app.
  Result<std::vector<AddonAttachment>> AttachmentsOf(const std::string& addon);
  // kAlreadyExists when the app has it already, or another of that name.
  Result<void> AttachAddon(const std::string& addon, const std::string& app, const std::string& name);
  // false when the app did not have it.
  Result<bool> DetachAddon(const std::string& addon, const std::string& app);
  // With its attachments; its backups stay.
  Result<void> DeleteAddon(const std::string& name);
  Result<void> SetAddonPassword(const std::string& name, const std::string& password);
  // state: creating, ready, destroying.
  Result<void> SetAddonState(const std::string& name, const std::string& state);
  // at: "HH:MM" (UTC), "" for none.
  Result<void> SetBackupSchedule(const std::string& name, const std::string& at);
  // Storage mounts of an app (store_storage.cc). AddStorageMount: kAlreadyExists
  // for a name or a path the app has; RemoveStorageMount: kNotFound.
  Result<void> AddStorageMount(const StorageMount& mount);
  Result<std::vector<StorageMount>> ListStorageMounts(const std::string& app);
  Result<void> RemoveStorageMount(const std::string& app, const std::string& name);

  // Backups, newest first (ListBackups); ids count up across add-ons.
  Result<int64_t> StartBackup(const AddonBackup& backup);
  Result<void> FinishBackup(int64_t id, bool succeeded, int64_t size, const std::string& reason);
  Result<std::vector<AddonBackup>> ListBackups(int64_t addon_id);
  // The backups of the app's destroyed add-ons (the last one addons:destroy
  // kept, and those before it), newest first. An app renamed keeps them; one
  // destroyed and made again by the name does not get them.
  Result<std::vector<AddonBackup>> ListFormerBackups(const std::string& app);
  Result<std::optional<AddonBackup>> GetBackup(int64_t id);
  Result<void> DeleteBackup(int64_t id);
  // Backups left 'running' by a daemon that stopped: failed, saying so.
  Result<void> FailInterruptedBackups();

  // Finishes the deploys still 'running' (the daemon stopped during them): one
  // whose release was recorded succeeded (the daemon stopped after its last
  // step that counts), any other failed. Returns them, finished.
  Result<std::vector<Deploy>> FinishInterruptedDeploys();

 private:
  // The name's last key is gone: its memberships end, its apps go to the heir.
  Result<void> EndAccessOf(const std::string& name, const std::string& heir, KeyRemoval& removal);
  explicit Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Result<int64_t> AppId(const std::string& name);
  // Add-on attachments WHERE where (?1: value), ORDER BY order.
  Result<std::vector<AddonAttachment>> Attachments(const char* where, const std::string& value, const char* order);

  std::unique_ptr<Database> db_;
};

}  // namespace ms
