#include "server/store/store.h"

#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "server/common/json.h"

namespace ms {

std::string_view RoleName(Role role) { return role == Role::kAdmin ? "admin" : "developer"; }

Result<Role> ParseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "developer") return Role::kDeveloper;
  return InvalidArgument(fmt::format("'{}' is not a role: use admin or developer", name));
}

std::string NoSuchApp(std::string_view app) {
  return fmt::format("app '{}' does not exist (see apps:list)", app);
}

std::string_view AppRoleName(AppRole role) {
  switch (role) {
    case AppRole::kOwner: return "owner";
    case AppRole::kMember: return "member";
    case AppRole::kNone: break;
  }
  return "none";
}

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& path) {
  auto db = Database::Open(path);
  if (!db) return std::unexpected(db.error());
  return std::unique_ptr<Store>(new Store(std::move(*db)));
}

Result<int64_t> Store::AppId(const std::string& name) {
  auto stmt = db_->Prepare("SELECT id FROM apps WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, name);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return NotFound(NoSuchApp(name));
  return stmt->Int(0);
}

Result<App> Store::CreateApp(const std::string& name, const std::string& owner) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("INSERT INTO apps (name, owner) VALUES (?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, name).Bind(2, owner).Run(); !r) {
    if (r.error().code == ErrorCode::kAlreadyExists) {
      return AlreadyExists(fmt::format("app '{}' already exists", name));
    }
    return std::unexpected(r.error());
  }
  return GetApp(name);
}

namespace {
constexpr const char* kAppColumns = "apps.id, apps.name, apps.deploy_branch, apps.created_at, apps.owner";
App AppFromRow(const Statement& s) { return App{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4)}; }

Result<std::vector<App>> AppRows(Statement& stmt) {
  std::vector<App> apps;
  for (;;) {
    auto row = stmt.Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return apps;
    apps.push_back(AppFromRow(stmt));
  }
}
}  // namespace

Result<App> Store::GetApp(const std::string& name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format("SELECT {} FROM apps WHERE name = ?", kAppColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, name);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return NotFound(NoSuchApp(name));
  return AppFromRow(*stmt);
}

Result<std::vector<App>> Store::ListApps() {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format("SELECT {} FROM apps ORDER BY name", kAppColumns));
  if (!stmt) return std::unexpected(stmt.error());
  return AppRows(*stmt);
}

Result<std::vector<App>> Store::ListAppsOf(const std::string& key_name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format(
      "SELECT {} FROM apps WHERE owner = ?1 OR id IN (SELECT app_id FROM app_members WHERE name = ?1) "
      "ORDER BY name",
      kAppColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, key_name);
  return AppRows(*stmt);
}

Result<void> Store::RenameApp(const std::string& old_name, const std::string& new_name) {
  auto lock = db_->Lock();
  auto id = AppId(old_name);
  if (!id) return std::unexpected(id.error());
  auto stmt = db_->Prepare("UPDATE apps SET name = ? WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, new_name).Bind(2, *id).Run(); !r) {
    if (r.error().code == ErrorCode::kAlreadyExists) {
      return AlreadyExists(fmt::format("app '{}' already exists", new_name));
    }
    return r;
  }
  return {};
}

Result<void> Store::DeleteApp(const std::string& name) {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return r;
  auto id = AppId(name);
  if (!id) return std::unexpected(id.error());
  auto versions = db_->Prepare("SELECT version FROM releases WHERE app_id = ? ORDER BY version");
  if (!versions) return std::unexpected(versions.error());
  versions->Bind(1, *id);
  std::string list;
  for (;;) {
    auto row = versions->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    list += (list.empty() ? "" : ",") + std::to_string(versions->Int(0));
  }
  // An earlier destroy of the same name not yet finished: its versions stay.
  auto record = db_->Prepare(
      "INSERT INTO destroyed_apps (name, versions) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET "
      "versions = CASE WHEN versions = '' THEN excluded.versions WHEN excluded.versions = '' THEN versions "
      "ELSE versions || ',' || excluded.versions END");
  if (!record) return std::unexpected(record.error());
  if (auto r = record->Bind(1, name).Bind(2, list).Run(); !r) return r;
  auto stmt = db_->Prepare("DELETE FROM apps WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, *id).Run(); !r) return r;
  return tx.Commit();
}

namespace {
DestroyedApp DestroyedFromRow(const Statement& s) {
  DestroyedApp d{s.Text(0), {}};
  std::string list = s.Text(1);
  for (size_t start = 0; start < list.size();) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    d.versions.push_back(std::atoi(list.substr(start, comma - start).c_str()));
    start = comma + 1;
  }
  return d;
}
}  // namespace

Result<std::vector<DestroyedApp>> Store::ListDestroyedApps() {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("SELECT name, versions FROM destroyed_apps ORDER BY name");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<DestroyedApp> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(DestroyedFromRow(*stmt));
  }
}

Result<std::optional<DestroyedApp>> Store::GetDestroyedApp(const std::string& name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("SELECT name, versions FROM destroyed_apps WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, name);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<DestroyedApp>();
  return DestroyedFromRow(*stmt);
}

Result<void> Store::ForgetDestroyedApp(const std::string& name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("DELETE FROM destroyed_apps WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, name).Run();
}

Result<void> Store::SetDeployBranch(const std::string& app, const std::string& branch) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("UPDATE apps SET deploy_branch = ? WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, branch).Bind(2, app).Run(); !r) return r;
  if (db_->Changes() == 0) return NotFound(NoSuchApp(app));
  return {};
}

namespace {
SshKey KeyFromRow(const Statement& s) {
  return SshKey{s.Int(0), s.Text(1), s.Text(2), s.Text(3),
                s.Text(4) == "admin" ? Role::kAdmin : Role::kDeveloper, s.Text(5)};
}
constexpr const char* kKeyColumns = "id, name, fingerprint, public_key, role, created_at";
}  // namespace

Result<SshKey> Store::AddKey(const SshKey& key) {
  auto lock = db_->Lock();
  auto existing = FindKeyByFingerprint(key.fingerprint);
  if (!existing) return std::unexpected(existing.error());
  if (*existing) {
    return AlreadyExists(fmt::format("this key ({}) is already registered as '{}'",
                                     key.fingerprint, (*existing)->name));
  }
  auto same_name = KeysNamed(key.name);
  if (!same_name) return std::unexpected(same_name.error());
  if (!same_name->empty() && same_name->front().role != key.role) {
    return Failed(fmt::format(
        "'{}' is {} {}; every key of a name has the name's role. Add the key with --role {}, "
        "or under another name",
        key.name, same_name->front().role == Role::kAdmin ? "an" : "a", RoleName(same_name->front().role),
        RoleName(same_name->front().role)));
  }
  auto stmt = db_->Prepare(
      "INSERT INTO ssh_keys (name, fingerprint, public_key, role) VALUES (?, ?, ?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, key.name).Bind(2, key.fingerprint).Bind(3, key.public_key).Bind(4, RoleName(key.role));
  if (auto r = stmt->Run(); !r) return std::unexpected(r.error());
  auto found = FindKeyByFingerprint(key.fingerprint);
  if (!found) return std::unexpected(found.error());
  return **found;
}

Result<std::optional<SshKey>> Store::FindKeyByFingerprint(const std::string& fingerprint) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format("SELECT {} FROM ssh_keys WHERE fingerprint = ?", kKeyColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, fingerprint);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<SshKey>();
  return KeyFromRow(*stmt);
}

Result<std::vector<SshKey>> Store::ListKeys() {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format("SELECT {} FROM ssh_keys ORDER BY name", kKeyColumns));
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<SshKey> keys;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    keys.push_back(KeyFromRow(*stmt));
  }
  return keys;
}

Result<std::vector<SshKey>> Store::KeysNamed(const std::string& name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format("SELECT {} FROM ssh_keys WHERE name = ? ORDER BY id", kKeyColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, name);
  std::vector<SshKey> keys;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return keys;
    keys.push_back(KeyFromRow(*stmt));
  }
}

Result<KeyRemoval> Store::RemoveKey(const std::string& name, const std::string& fingerprint,
                                    const std::string& heir) {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return std::unexpected(r.error());
  auto keys = KeysNamed(name);
  if (!keys) return std::unexpected(keys.error());
  if (keys->empty()) return NotFound(fmt::format("no key named '{}' (see keys:list)", name));
  KeyRemoval removal;
  for (const SshKey& k : *keys) {
    if (fingerprint.empty() || k.fingerprint == fingerprint) removal.fingerprints.push_back(k.fingerprint);
  }
  if (removal.fingerprints.empty()) {
    return NotFound(fmt::format("'{}' has no key {} (see keys:list)", name, fingerprint));
  }
  removal.name_gone = removal.fingerprints.size() == keys->size();
  if (removal.name_gone && keys->front().role == Role::kAdmin) {
    auto others = db_->Prepare("SELECT COUNT(*) FROM ssh_keys WHERE role = 'admin' AND name != ?");
    if (!others) return std::unexpected(others.error());
    others->Bind(1, name);
    if (auto r = others->Step(); !r) return std::unexpected(r.error());
    if (others->Int(0) == 0) {
      return Failed(fmt::format("'{}' is the last admin; add another admin first "
                                "(keys:add NAME --role admin) so nobody is locked out",
                                name));
    }
  }
  for (const std::string& fp : removal.fingerprints) {
    auto del = db_->Prepare("DELETE FROM ssh_keys WHERE fingerprint = ?");
    if (!del) return std::unexpected(del.error());
    if (auto r = del->Bind(1, fp).Run(); !r) return std::unexpected(r.error());
  }
  if (removal.name_gone) {
    auto ended = EndAccessOf(name, heir, removal);
    if (!ended) return std::unexpected(ended.error());
  }
  if (auto r = tx.Commit(); !r) return std::unexpected(r.error());
  return removal;
}

Result<ConfigVars> Store::GetConfig(const std::string& app) {
  auto lock = db_->Lock();
  auto id = AppId(app);
  if (!id) return std::unexpected(id.error());
  auto stmt = db_->Prepare("SELECT key, value FROM config_vars WHERE app_id = ? ORDER BY key");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *id);
  ConfigVars vars;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    vars[stmt->Text(0)] = stmt->Text(1);
  }
  return vars;
}

Result<void> Store::SetConfig(const std::string& app, const ConfigVars& vars) {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return r;
  auto id = AppId(app);
  if (!id) return std::unexpected(id.error());
  for (const auto& [key, value] : vars) {
    auto stmt = db_->Prepare(
        "INSERT INTO config_vars (app_id, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (app_id, key) DO UPDATE SET value = excluded.value");
    if (!stmt) return std::unexpected(stmt.error());
    if (auto r = stmt->Bind(1, *id).Bind(2, key).Bind(3, value).Run(); !r) return r;
  }
  return tx.Commit();
}

Result<std::vector<std::string>> Store::UnsetConfig(const std::string& app,
                                                    const std::vector<std::string>& keys) {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return std::unexpected(r.error());
  auto id = AppId(app);
  if (!id) return std::unexpected(id.error());
  std::vector<std::string> removed;
  for (const auto& key : keys) {
    auto stmt = db_->Prepare("DELETE FROM config_vars WHERE app_id = ? AND key = ?");
    if (!stmt) return std::unexpected(stmt.error());
    if (auto r = stmt->Bind(1, *id).Bind(2, key).Run(); !r) return std::unexpected(r.error());
    if (db_->Changes() > 0) removed.push_back(key);
  }
  if (auto r = tx.Commit(); !r) return std::unexpected(r.error());
  return removed;
}

Result<int64_t> Store::StartDeploy(const Deploy& deploy) {
  auto lock = db_->Lock();
  auto id = AppId(deploy.app);
  if (!id) return std::unexpected(id.error());
  auto stmt = db_->Prepare(
      "INSERT INTO deploys (app_id, commit_sha, ref, key_name, status) VALUES (?, ?, ?, ?, "
      "'running')");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *id).Bind(2, deploy.commit).Bind(3, deploy.ref).Bind(4, deploy.key_name);
  if (auto r = stmt->Run(); !r) return std::unexpected(r.error());
  return db_->LastInsertId();
}

Result<void> Store::FinishDeploy(int64_t id, bool succeeded, const std::string& message) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      "UPDATE deploys SET status = ?, message = ?, "
      "finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, succeeded ? "succeeded" : "failed").Bind(2, message).Bind(3, id).Run();
}

Result<std::vector<Deploy>> Store::ListDeploys(const std::string& app, int limit) {
  auto lock = db_->Lock();
  auto id = AppId(app);
  if (!id) return std::unexpected(id.error());
  auto stmt = db_->Prepare(
      "SELECT id, commit_sha, ref, key_name, status, message, started_at, "
      "COALESCE(finished_at, '') FROM deploys WHERE app_id = ? ORDER BY id DESC LIMIT ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *id).Bind(2, static_cast<int64_t>(limit));
  std::vector<Deploy> deploys;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    deploys.push_back(Deploy{stmt->Int(0), app, stmt->Text(1), stmt->Text(2), stmt->Text(3),
                             stmt->Text(4), stmt->Text(5), stmt->Text(6), stmt->Text(7)});
  }
  return deploys;
}

Result<std::vector<Deploy>> Store::FinishInterruptedDeploys() {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return std::unexpected(r.error());
  auto stmt = db_->Prepare(
      "SELECT d.id, a.name, d.commit_sha, d.ref, d.key_name, d.started_at, "
      "EXISTS (SELECT 1 FROM releases r WHERE r.deploy_id = d.id) "
      "FROM deploys d JOIN apps a ON a.id = d.app_id WHERE d.status = 'running' ORDER BY d.id");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<Deploy> deploys;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    Deploy d{stmt->Int(0), stmt->Text(1), stmt->Text(2), stmt->Text(3), stmt->Text(4), "", "", stmt->Text(5), ""};
    bool recorded = stmt->Int(6) != 0;
    d.status = recorded ? "succeeded" : "failed";
    d.message = recorded ? "finished when the daemon started again: it stopped after recording the release"
                         : "interrupted: the daemon stopped";
    deploys.push_back(d);
  }
  for (auto& d : deploys) {
    auto update = db_->Prepare(
        "UPDATE deploys SET status = ?, message = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
        "WHERE id = ?");
    if (!update) return std::unexpected(update.error());
    if (auto r = update->Bind(1, d.status).Bind(2, d.message).Bind(3, d.id).Run(); !r) return std::unexpected(r.error());
  }
  if (auto r = tx.Commit(); !r) return std::unexpected(r.error());
  return deploys;
}

Result<void> Store::SetDeployLog(int64_t id, const std::string& log) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("UPDATE deploys SET log = ? WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, log).Bind(2, id).Run();
}

Result<std::string> Store::DeployLog(const std::string& app, int64_t id) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("SELECT log FROM deploys WHERE app_id = ? AND id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id).Bind(2, id);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return NotFound(fmt::format("{} has no build {} (see builds:list {})", app, id, app));
  return stmt->Text(0);
}

Result<int> Store::NextReleaseVersion(const std::string& app) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM releases WHERE app_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  return static_cast<int>(stmt->Int(0));
}

Result<void> Store::CreateRelease(const std::string& app, const Release& release) {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return r;
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(
      "INSERT INTO releases (app_id, version, image, description, deploy_id, config_json, "
      "formation_json) VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  auto dump = [](const auto& map) {
    return nlohmann::json(map).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  stmt->Bind(1, *app_id).Bind(2, int64_t{release.version}).Bind(3, release.image).Bind(4, release.description);
  if (release.deploy_id > 0) stmt->Bind(5, release.deploy_id);
  else stmt->BindNull(5);
  stmt->Bind(6, dump(release.config)).Bind(7, dump(release.process_types));
  if (auto r = stmt->Run(); !r) return r;
  auto clear = db_->Prepare("DELETE FROM config_vars WHERE app_id = ?");
  if (!clear) return std::unexpected(clear.error());
  if (auto r = clear->Bind(1, *app_id).Run(); !r) return r;
  for (const auto& [key, value] : release.config) {
    auto set = db_->Prepare("INSERT INTO config_vars (app_id, key, value) VALUES (?, ?, ?)");
    if (!set) return std::unexpected(set.error());
    if (auto r = set->Bind(1, *app_id).Bind(2, key).Bind(3, value).Run(); !r) return r;
  }
  return tx.Commit();
}

namespace {

Release ReleaseFromRow(const Statement& stmt) {
  Release r;
  r.version = static_cast<int>(stmt.Int(0));
  r.image = stmt.Text(1);
  r.description = stmt.Text(2);
  auto config = nlohmann::json::parse(stmt.Text(3), nullptr, false);
  if (config.is_object()) {
    for (auto& [k, v] : config.items()) r.config[k] = v.is_string() ? v.get<std::string>() : DumpJson(v);
  }
  auto types = nlohmann::json::parse(stmt.Text(4), nullptr, false);
  if (types.is_object()) {
    for (auto& [k, v] : types.items()) {
      // Older rows kept {"command": ..., "quantity": ...} per type.
      if (v.is_string()) r.process_types[k] = v.get<std::string>();
      else if (v.is_object() && v["command"].is_string()) r.process_types[k] = v["command"].get<std::string>();
    }
  }
  r.deploy_id = stmt.IsNull(5) ? 0 : stmt.Int(5);
  r.created_at = stmt.Text(6);
  return r;
}

constexpr const char* kReleaseColumns =
    "SELECT version, image, description, config_json, formation_json, deploy_id, created_at FROM releases ";

}  // namespace

Result<std::vector<Release>> Store::ListReleases(const std::string& app, int limit) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(std::string(kReleaseColumns) + "WHERE app_id = ? ORDER BY version DESC LIMIT ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id).Bind(2, int64_t{limit});
  std::vector<Release> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(ReleaseFromRow(*stmt));
  }
  return out;
}

Result<Release> Store::GetRelease(const std::string& app, int version) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(std::string(kReleaseColumns) + "WHERE app_id = ? AND version = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id).Bind(2, int64_t{version});
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return NotFound(fmt::format("{} has no release v{} (see `releases {}`)", app, version, app));
  return ReleaseFromRow(*stmt);
}

Result<std::optional<Release>> Store::LatestRelease(const std::string& app) {
  auto list = ListReleases(app, 1);
  if (!list) return std::unexpected(list.error());
  if (list->empty()) return std::optional<Release>();
  return std::optional<Release>(list->front());
}

Result<Formation> Store::GetFormation(const std::string& app) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("SELECT type, quantity FROM formation WHERE app_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id);
  Formation out;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out[stmt->Text(0)] = static_cast<int>(stmt->Int(1));
  }
  return out;
}

Result<void> Store::SetFormation(const std::string& app, const Formation& formation) {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return r;
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  for (const auto& [type, quantity] : formation) {
    auto stmt = db_->Prepare(
        "INSERT INTO formation (app_id, type, quantity) VALUES (?, ?, ?) "
        "ON CONFLICT (app_id, type) DO UPDATE SET quantity = excluded.quantity");
    if (!stmt) return std::unexpected(stmt.error());
    if (auto r = stmt->Bind(1, *app_id).Bind(2, type).Bind(3, int64_t{quantity}).Run(); !r) return r;
  }
  return tx.Commit();
}

Result<std::map<std::string, std::string>> Store::GetProcessSizes(const std::string& app) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("SELECT type, size FROM process_sizes WHERE app_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id);
  std::map<std::string, std::string> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out[stmt->Text(0)] = stmt->Text(1);
  }
  return out;
}

Result<void> Store::SetProcessSizes(const std::string& app, const std::map<std::string, std::string>& sizes) {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return r;
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  for (const auto& [type, size] : sizes) {
    auto stmt = db_->Prepare(
        "INSERT INTO process_sizes (app_id, type, size) VALUES (?, ?, ?) "
        "ON CONFLICT (app_id, type) DO UPDATE SET size = excluded.size");
    if (!stmt) return std::unexpected(stmt.error());
    if (auto r = stmt->Bind(1, *app_id).Bind(2, type).Bind(3, size).Run(); !r) return r;
  }
  return tx.Commit();
}

Result<void> Store::SetAppJsonCheckPath(const std::string& app, const std::string& path) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(path.empty() ? "DELETE FROM checks WHERE app_id = ? AND source = 'app.json'"
                                        : "INSERT INTO checks (app_id, path, source) VALUES (?, ?, 'app.json') "
                                          "ON CONFLICT (app_id) DO UPDATE SET path = excluded.path "
                                          "WHERE checks.source = 'app.json'");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id);
  if (!path.empty()) stmt->Bind(2, path);
  return stmt->Run();
}

Result<std::string> Store::GetCheckPath(const std::string& app) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("SELECT path FROM checks WHERE app_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  return *row ? stmt->Text(0) : std::string();
}

Result<void> Store::SetCheckPath(const std::string& app, const std::string& path) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(
      "INSERT INTO checks (app_id, path, source) VALUES (?, ?, 'user') "
      "ON CONFLICT (app_id) DO UPDATE SET path = excluded.path, source = 'user'");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, *app_id).Bind(2, path).Run();
}

Result<std::vector<std::string>> Store::ListDomains(const std::string& app) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("SELECT host FROM domains WHERE app_id = ? ORDER BY host");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id);
  std::vector<std::string> hosts;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    hosts.push_back(stmt->Text(0));
  }
  return hosts;
}

Result<std::optional<std::string>> Store::AppOfDomain(const std::string& host) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("SELECT apps.name FROM domains JOIN apps ON apps.id = domains.app_id WHERE host = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, host);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::string>();
  return stmt->Text(0);
}

Result<void> Store::AddDomain(const std::string& app, const std::string& host) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto holder = AppOfDomain(host);
  if (!holder) return std::unexpected(holder.error());
  if (*holder == app) return Fail(ErrorCode::kAlreadyExists, fmt::format("{} is a domain of {} already", host, app));
  if (*holder) return Fail(ErrorCode::kAlreadyExists, fmt::format("{} is not available", host));
  auto stmt = db_->Prepare("INSERT INTO domains (host, app_id) VALUES (?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, host).Bind(2, *app_id).Run();
}

Result<bool> Store::RemoveDomain(const std::string& app, const std::string& host) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("DELETE FROM domains WHERE app_id = ? AND host = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, *app_id).Bind(2, host).Run(); !r) return std::unexpected(r.error());
  return db_->Changes() > 0;
}

Result<std::vector<std::string>> Store::GetBuildpacks(const std::string& app) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("SELECT url FROM app_buildpacks WHERE app_id = ? ORDER BY position");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id);
  std::vector<std::string> urls;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    urls.push_back(stmt->Text(0));
  }
  return urls;
}

Result<void> Store::SetBuildpacks(const std::string& app, const std::vector<std::string>& urls) {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return r;
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto del = db_->Prepare("DELETE FROM app_buildpacks WHERE app_id = ?");
  if (!del) return std::unexpected(del.error());
  if (auto r = del->Bind(1, *app_id).Run(); !r) return r;
  for (size_t i = 0; i < urls.size(); ++i) {
    auto ins = db_->Prepare("INSERT INTO app_buildpacks (app_id, position, url) VALUES (?, ?, ?)");
    if (!ins) return std::unexpected(ins.error());
    if (auto r = ins->Bind(1, *app_id).Bind(2, static_cast<int64_t>(i)).Bind(3, urls[i]).Run(); !r) return r;
  }
  return tx.Commit();
}

}  // namespace ms
