// Store: add-ons, their attachments and their backups (addons:create,
// addons:attach, pg:backups:capture).

#include <fmt/format.h>

#include "server/store/store.h"

namespace ms {
namespace {

constexpr const char* kAddonColumns =
    "addons.id, addons.name, addons.kind, apps.name, addons.node_id, addons.db_name, addons.db_user, "
    "addons.db_password, addons.created_at, addons.backup_at, addons.state, addons.size_mb, addons.policy";
Addon AddonRow(const Statement& s) {
  return Addon{s.Int(0), s.Text(1), s.Text(2), s.Text(3),  s.Text(4),  s.Text(5), s.Text(6),
               s.Text(7), s.Text(8), s.Text(9), s.Text(10), s.Int(11), s.Text(12)};
}

constexpr const char* kBackupColumns =
    "id, addon_id, addon, app, status, reason, size, location, taken_by, created_at, finished_at";
AddonBackup BackupRow(const Statement& s) {
  return AddonBackup{s.Int(0),  s.Int(1),  s.Text(2), s.Text(3), s.Text(4), s.Text(5),
                     s.Int(6),  s.Text(7), s.Text(8), s.Text(9), s.Text(10)};
}

template <typename T, typename Row>
Result<std::vector<T>> All(Statement& stmt, Row row) {
  std::vector<T> out;
  for (;;) {
    auto more = stmt.Step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return out;
    out.push_back(row(stmt));
  }
}

std::string NoSuchAddon(const std::string& name) {
  return fmt::format("no add-on is named '{}' (addons lists them)", name.substr(0, 64));
}

}  // namespace

Result<Addon> Store::CreateAddon(const Addon& addon, const std::string& attach_as) {
  auto lock = db_->Lock();
  Transaction tx(*db_);
  if (auto r = tx.Begin(); !r) return std::unexpected(r.error());
  auto app = AppId(addon.app);
  if (!app) return std::unexpected(app.error());
  auto insert = db_->Prepare(
      "INSERT INTO addons (name, kind, app_id, node_id, db_name, db_user, db_password, size_mb, policy) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!insert) return std::unexpected(insert.error());
  auto r = insert->Bind(1, addon.name)
               .Bind(2, addon.kind)
               .Bind(3, *app)
               .Bind(4, addon.node_id)
               .Bind(5, addon.db_name)
               .Bind(6, addon.db_user)
               .Bind(7, addon.db_password)
               .Bind(8, addon.size_mb)
               .Bind(9, addon.policy)
               .Run();
  if (!r) {
    if (r.error().code == ErrorCode::kAlreadyExists) {
      return AlreadyExists(fmt::format("the add-on name '{}' is not available; choose another with --name", addon.name));
    }
    return std::unexpected(r.error());
  }
  if (auto a = AttachAddon(addon.name, addon.app, attach_as); !a) return std::unexpected(a.error());
  if (auto c = tx.Commit(); !c) return std::unexpected(c.error());
  auto created = GetAddon(addon.name);
  if (!created) return std::unexpected(created.error());
  if (!*created) return Failed("the new add-on was not recorded");
  return **created;
}

Result<std::optional<Addon>> Store::GetAddon(const std::string& name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      fmt::format("SELECT {} FROM addons JOIN apps ON apps.id = addons.app_id WHERE addons.name = ?", kAddonColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, name);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<Addon>();
  return std::optional<Addon>(AddonRow(*stmt));
}

Result<std::vector<Addon>> Store::ListAddons() {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      fmt::format("SELECT {} FROM addons JOIN apps ON apps.id = addons.app_id ORDER BY addons.name", kAddonColumns));
  if (!stmt) return std::unexpected(stmt.error());
  return All<Addon>(*stmt, AddonRow);
}

Result<std::vector<AddonAttachment>> Store::ListAttachments(const std::string& app) {
  return Attachments("?1 = '' OR apps.name = ?1", app, "apps.name, addon_attachments.name");
}

Result<std::vector<AddonAttachment>> Store::AttachmentsOf(const std::string& addon) {
  return Attachments("addons.name = ?1", addon, "apps.name");
}

Result<std::vector<AddonAttachment>> Store::Attachments(const char* where, const std::string& value,
                                                        const char* order) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format(
      "SELECT addons.name, apps.name, addon_attachments.name FROM addon_attachments "
      "JOIN addons ON addons.id = addon_attachments.addon_id JOIN apps ON apps.id = addon_attachments.app_id "
      "WHERE {} ORDER BY {}",
      where, order));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, value);
  return All<AddonAttachment>(*stmt, [](const Statement& s) {
    return AddonAttachment{s.Text(0), s.Text(1), s.Text(2)};
  });
}

Result<void> Store::AttachAddon(const std::string& addon, const std::string& app, const std::string& name) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(
      "INSERT INTO addon_attachments (addon_id, app_id, name) SELECT id, ?, ? FROM addons WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  auto r = stmt->Bind(1, *app_id).Bind(2, name).Bind(3, addon).Run();
  if (!r) {
    if (r.error().code == ErrorCode::kAlreadyExists) {
      return AlreadyExists(fmt::format(
          "{} has {} already, or another add-on as {}_URL (addons {} lists them; --as NAME chooses another name)", app,
          addon, name, app));
    }
    return r;
  }
  if (db_->Changes() == 0) return NotFound(NoSuchAddon(addon));
  return {};
}

Result<bool> Store::DetachAddon(const std::string& addon, const std::string& app) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      "DELETE FROM addon_attachments WHERE addon_id = (SELECT id FROM addons WHERE name = ?) "
      "AND app_id = (SELECT id FROM apps WHERE name = ?)");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, addon).Bind(2, app).Run(); !r) return std::unexpected(r.error());
  return db_->Changes() > 0;
}

Result<void> Store::DeleteAddon(const std::string& name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("DELETE FROM addons WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, name).Run();
}

Result<void> Store::SetAddonPassword(const std::string& name, const std::string& password) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("UPDATE addons SET db_password = ? WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, password).Bind(2, name).Run(); !r) return r;
  if (db_->Changes() == 0) return NotFound(NoSuchAddon(name));
  return {};
}

Result<void> Store::SetAddonState(const std::string& name, const std::string& state) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("UPDATE addons SET state = ? WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, state).Bind(2, name).Run(); !r) return r;
  if (db_->Changes() == 0) return NotFound(NoSuchAddon(name));
  return {};
}

Result<void> Store::SetBackupSchedule(const std::string& name, const std::string& at) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("UPDATE addons SET backup_at = ? WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, at).Bind(2, name).Run(); !r) return r;
  if (db_->Changes() == 0) return NotFound(NoSuchAddon(name));
  return {};
}

Result<int64_t> Store::StartBackup(const AddonBackup& backup) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      "INSERT INTO addon_backups (addon_id, addon, app, status, location, taken_by, app_id) "
      "VALUES (?, ?, ?, 'running', ?, ?, (SELECT app_id FROM addons WHERE id = ?))");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, backup.addon_id)
                   .Bind(2, backup.addon)
                   .Bind(3, backup.app)
                   .Bind(4, backup.location)
                   .Bind(5, backup.taken_by)
                   .Bind(6, backup.addon_id)
                   .Run();
      !r) {
    return std::unexpected(r.error());
  }
  return db_->LastInsertId();
}

Result<void> Store::FinishBackup(int64_t id, bool succeeded, int64_t size, const std::string& reason) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      "UPDATE addon_backups SET status = ?, size = ?, reason = ?, "
      "finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, succeeded ? "succeeded" : "failed").Bind(2, size).Bind(3, reason).Bind(4, id).Run();
}

Result<std::vector<AddonBackup>> Store::ListBackups(int64_t addon_id) {
  auto lock = db_->Lock();
  auto stmt =
      db_->Prepare(fmt::format("SELECT {} FROM addon_backups WHERE addon_id = ? ORDER BY id DESC", kBackupColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, addon_id);
  return All<AddonBackup>(*stmt, BackupRow);
}

Result<std::vector<AddonBackup>> Store::ListFormerBackups(const std::string& app) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format(
      "SELECT {} FROM addon_backups WHERE app_id = (SELECT id FROM apps WHERE name = ?) "
      "AND addon_id NOT IN (SELECT id FROM addons) ORDER BY id DESC",
      kBackupColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, app);
  return All<AddonBackup>(*stmt, BackupRow);
}

Result<std::optional<AddonBackup>> Store::GetBackup(int64_t id) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format("SELECT {} FROM addon_backups WHERE id = ?", kBackupColumns));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, id);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<AddonBackup>();
  return std::optional<AddonBackup>(BackupRow(*stmt));
}

Result<void> Store::DeleteBackup(int64_t id) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("DELETE FROM addon_backups WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, id).Run();
}

Result<void> Store::FailInterruptedBackups() {
  auto lock = db_->Lock();
  return db_->Exec(
      "UPDATE addon_backups SET status = 'failed', reason = 'the daemon stopped while it ran', "
      "finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE status = 'running'");
}

}  // namespace ms
