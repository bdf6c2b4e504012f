// Store: the audit log. Append-only; a record keeps the app's id (to follow a
// rename and to filter by membership) and its name at the time.

#include <fmt/format.h>

#include "server/store/store.h"

namespace ms {

Result<void> Store::AddAudit(const AuditEntry& e) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      "INSERT INTO audit_log (actor, address, app_id, app, action, detail) "
      "VALUES (?1, ?2, (SELECT id FROM apps WHERE name = ?3), ?3, ?4, ?5)");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, e.actor).Bind(2, e.address).Bind(3, e.app).Bind(4, e.action).Bind(5, e.detail).Run();
}

Result<std::vector<AuditEntry>> Store::ListAudit(const std::string& app, const std::string& viewer,
                                                 int limit) {
  auto lock = db_->Lock();
  std::string where = "1";
  if (!app.empty()) where += " AND app_id = (SELECT id FROM apps WHERE name = ?1)";
  if (!viewer.empty()) {
    where +=
        " AND app_id IN (SELECT id FROM apps WHERE owner = ?2"
        " UNION SELECT app_id FROM app_members WHERE name = ?2)";
  }
  auto stmt = db_->Prepare(fmt::format(
      "SELECT id, at, actor, address, app, action, detail FROM audit_log WHERE {} ORDER BY id DESC LIMIT ?3",
      where));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, app).Bind(2, viewer).Bind(3, static_cast<int64_t>(limit));
  std::vector<AuditEntry> entries;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return entries;
    entries.push_back({stmt->Int(0), stmt->Text(1), stmt->Text(2), stmt->Text(3), stmt->Text(4),
                       stmt->Text(5), stmt->Text(6)});
  }
}

}  // namespace ms
