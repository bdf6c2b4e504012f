// Store: the storage mounts of apps (storage:mount, storage:list, storage:unmount).

#include <fmt/format.h>

#include "server/store/store.h"

namespace ms {

Result<void> Store::AddStorageMount(const StorageMount& mount) {
  auto lock = db_->Lock();
  auto app = AppId(mount.app);
  if (!app) return std::unexpected(app.error());
  auto insert = db_->Prepare("INSERT INTO storage_mounts (app_id, name, path, node_id) VALUES (?, ?, ?, ?)");
  if (!insert) return std::unexpected(insert.error());
  auto r = insert->Bind(1, *app).Bind(2, mount.name).Bind(3, mount.path).Bind(4, mount.node_id).Run();
  if (!r && r.error().code == ErrorCode::kAlreadyExists) {
    return AlreadyExists(fmt::format("{} has a storage named {} or mounted at {} already (storage:list {} lists them)",
                                     mount.app, mount.name, mount.path, mount.app));
  }
  return r;
}

Result<std::vector<StorageMount>> Store::ListStorageMounts(const std::string& app) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      "SELECT apps.name, storage_mounts.name, storage_mounts.path, storage_mounts.node_id, storage_mounts.created_at "
      "FROM storage_mounts JOIN apps ON apps.id = storage_mounts.app_id WHERE apps.name = ? "
      "ORDER BY storage_mounts.name");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, app);
  std::vector<StorageMount> out;
  for (;;) {
    auto more = stmt->Step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return out;
    out.push_back(StorageMount{stmt->Text(0), stmt->Text(1), stmt->Text(2), stmt->Text(3), stmt->Text(4)});
  }
}

Result<void> Store::RemoveStorageMount(const std::string& app, const std::string& name) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      "DELETE FROM storage_mounts WHERE app_id = (SELECT id FROM apps WHERE name = ?) AND name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, app).Bind(2, name).Run(); !r) return r;
  if (db_->Changes() == 0) {
    return NotFound(fmt::format("{} has no storage named {} (storage:list {} lists them)", app, name, app));
  }
  return {};
}

}  // namespace ms
