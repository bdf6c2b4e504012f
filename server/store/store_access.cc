// Store: who may use an app. An app has one owner (a key name) and members;
// admins' rights are decided above the store (server/keys/app_access.h).

#include <fmt/format.h>

#include "server/store/store.h"

namespace ms {

Result<AppRole> Store::RoleIn(const std::string& app, const std::string& key_name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      "SELECT owner = ?2, EXISTS (SELECT 1 FROM app_members WHERE app_id = apps.id AND name = ?2) "
      "FROM apps WHERE name = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, app).Bind(2, key_name);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return NotFound(NoSuchApp(app));
  if (!key_name.empty() && stmt->Int(0)) return AppRole::kOwner;
  return stmt->Int(1) ? AppRole::kMember : AppRole::kNone;
}

Result<std::vector<Member>> Store::ListMembers(const std::string& app) {
  auto lock = db_->Lock();
  auto found = GetApp(app);
  if (!found) return std::unexpected(found.error());
  std::vector<Member> members;
  if (!found->owner.empty()) members.push_back({found->owner, AppRole::kOwner, found->created_at});
  auto stmt = db_->Prepare("SELECT name, added_at FROM app_members WHERE app_id = ? ORDER BY name");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, found->id);
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return members;
    members.push_back({stmt->Text(0), AppRole::kMember, stmt->Text(1)});
  }
}

Result<void> Store::AddMember(const std::string& app, const std::string& key_name) {
  auto lock = db_->Lock();
  auto role = RoleIn(app, key_name);
  if (!role) return std::unexpected(role.error());
  if (*role == AppRole::kOwner) return AlreadyExists(fmt::format("{} owns {}", key_name, app));
  if (*role == AppRole::kMember) return AlreadyExists(fmt::format("{} is a member of {} already", key_name, app));
  auto stmt = db_->Prepare("INSERT INTO app_members (app_id, name) SELECT id, ? FROM apps WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, key_name).Bind(2, app).Run();
}

Result<bool> Store::RemoveMember(const std::string& app, const std::string& key_name) {
  auto lock = db_->Lock();
  auto id = AppId(app);
  if (!id) return std::unexpected(id.error());
  auto stmt = db_->Prepare("DELETE FROM app_members WHERE app_id = ? AND name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, *id).Bind(2, key_name).Run(); !r) return std::unexpected(r.error());
  return db_->Changes() > 0;
}

Result<void> Store::TransferApp(const std::string& app, const std::string& new_owner) {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return r;
  auto found = GetApp(app);
  if (!found) return std::unexpected(found.error());
  if (found->owner == new_owner) return AlreadyExists(fmt::format("{} owns {} already", new_owner, app));
  auto drop = db_->Prepare("DELETE FROM app_members WHERE app_id = ? AND name = ?");
  if (!drop) return std::unexpected(drop.error());
  if (auto r = drop->Bind(1, found->id).Bind(2, new_owner).Run(); !r) return r;
  if (!found->owner.empty()) {
    auto keep = db_->Prepare("INSERT OR IGNORE INTO app_members (app_id, name) VALUES (?, ?)");
    if (!keep) return std::unexpected(keep.error());
    if (auto r = keep->Bind(1, found->id).Bind(2, found->owner).Run(); !r) return r;
  }
  auto set = db_->Prepare("UPDATE apps SET owner = ? WHERE id = ?");
  if (!set) return std::unexpected(set.error());
  if (auto r = set->Bind(1, new_owner).Bind(2, found->id).Run(); !r) return r;
  return tx.Commit();
}

// Runs inside RemoveKey's transaction.
Result<void> Store::EndAccessOf(const std::string& name, const std::string& heir, KeyRemoval& removal) {
  removal.heir = heir;
  if (heir.empty() || heir == name) {
    auto admin = db_->Prepare("SELECT name FROM ssh_keys WHERE role = 'admin' AND name != ? ORDER BY id LIMIT 1");
    if (!admin) return std::unexpected(admin.error());
    admin->Bind(1, name);
    auto row = admin->Step();
    if (!row) return std::unexpected(row.error());
    removal.heir = *row ? admin->Text(0) : "";
  }
  auto owned = db_->Prepare("SELECT name FROM apps WHERE owner = ? ORDER BY name");
  if (!owned) return std::unexpected(owned.error());
  owned->Bind(1, name);
  for (;;) {
    auto row = owned->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    removal.apps_moved.push_back(owned->Text(0));
  }
  auto move = db_->Prepare("UPDATE apps SET owner = ? WHERE owner = ?");
  if (!move) return std::unexpected(move.error());
  if (auto r = move->Bind(1, removal.heir).Bind(2, name).Run(); !r) return r;
  // The heir owns them now; it need not be a member as well.
  auto dedupe = db_->Prepare(
      "DELETE FROM app_members WHERE name = ?1 AND app_id IN (SELECT id FROM apps WHERE owner = ?1)");
  if (!dedupe) return std::unexpected(dedupe.error());
  if (auto r = dedupe->Bind(1, removal.heir).Run(); !r) return r;
  auto end = db_->Prepare("DELETE FROM app_members WHERE name = ?");
  if (!end) return std::unexpected(end.error());
  if (auto r = end->Bind(1, name).Run(); !r) return r;
  removal.memberships_ended = db_->Changes();
  // Its API tokens act as nobody now.
  auto tokens = db_->Prepare("DELETE FROM api_tokens WHERE key_name = ?");
  if (!tokens) return std::unexpected(tokens.error());
  if (auto r = tokens->Bind(1, name).Run(); !r) return r;
  removal.tokens_removed = db_->Changes();
  return {};
}

}  // namespace ms
