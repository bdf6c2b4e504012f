// Store: the dashboard's sign-in links and sessions (web_sessions). A row
// works while it is unexpired and the ssh key (by fingerprint) or API token
// (by id) behind it exists, with its key name: removing either ends it.

#include <fmt/format.h>

#include "server/store/store.h"

namespace ms {
namespace {

// Whether the key or token behind a row still stands, at ?2 (Unix seconds).
constexpr const char* kStillBacked = R"sql(
  expires_at > ?2 AND (
    (token_id <> 0 AND EXISTS (
       SELECT 1 FROM api_tokens t WHERE t.id = web_sessions.token_id AND t.key_name = web_sessions.key_name
         AND (t.expires_at = 0 OR t.expires_at > ?2)))
    OR (token_id = 0 AND EXISTS (
       SELECT 1 FROM ssh_keys k WHERE k.fingerprint = web_sessions.key_fingerprint
         AND k.name = web_sessions.key_name)))
  AND EXISTS (SELECT 1 FROM ssh_keys k WHERE k.name = web_sessions.key_name))sql";

}  // namespace

Result<void> Store::AddWebSession(const std::string& hash, bool link, const WebSession& session) {
  auto lock = db_->Lock();
  auto expired = db_->Prepare("DELETE FROM web_sessions WHERE expires_at <= ?");
  if (!expired) return std::unexpected(expired.error());
  if (auto r = expired->Bind(1, static_cast<int64_t>(std::time(nullptr))).Run(); !r) return r;
  auto stmt = db_->Prepare(
      "INSERT INTO web_sessions (hash, kind, key_name, key_fingerprint, token_id, csrf, expires_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  auto added = stmt->Bind(1, hash)
                   .Bind(2, link ? "link" : "session")
                   .Bind(3, session.key_name)
                   .Bind(4, session.key_fingerprint)
                   .Bind(5, session.token_id)
                   .Bind(6, session.csrf)
                   .Bind(7, session.expires_at)
                   .Run();
  if (!added) return added;
  // A key name keeps its newest kMaxWebSessions of each kind: one that signs
  // in again and again cannot fill the disk.
  auto oldest = db_->Prepare(
      "DELETE FROM web_sessions WHERE key_name = ?1 AND kind = ?2 AND id NOT IN "
      "(SELECT id FROM web_sessions WHERE key_name = ?1 AND kind = ?2 ORDER BY id DESC LIMIT ?3)");
  if (!oldest) return std::unexpected(oldest.error());
  return oldest->Bind(1, session.key_name).Bind(2, link ? "link" : "session").Bind(3, kMaxWebSessions).Run();
}

Result<std::optional<WebSession>> Store::FindWebSession(const std::string& hash, bool link, int64_t now) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(fmt::format(
      "SELECT key_name, (SELECT role FROM ssh_keys k WHERE k.name = web_sessions.key_name ORDER BY id LIMIT 1), "
      "key_fingerprint, token_id, "
      "COALESCE((SELECT name FROM api_tokens t WHERE t.id = web_sessions.token_id), ''), csrf, expires_at "
      "FROM web_sessions WHERE hash = ?1 AND kind = ?3 AND {}",
      kStillBacked));
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, hash).Bind(2, now).Bind(3, link ? "link" : "session");
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<WebSession>();
  WebSession s{stmt->Text(0), stmt->Text(1) == "admin" ? Role::kAdmin : Role::kDeveloper,
               stmt->Text(2), stmt->Int(3), stmt->Text(4), stmt->Text(5), stmt->Int(6)};
  if (link) {
    auto used = db_->Prepare("DELETE FROM web_sessions WHERE hash = ?");
    if (!used) return std::unexpected(used.error());
    if (auto r = used->Bind(1, hash).Run(); !r) return std::unexpected(r.error());
    if (db_->Changes() == 0) return std::optional<WebSession>();  // another sign-in took it first
  }
  return std::optional<WebSession>(std::move(s));
}

Result<void> Store::RemoveWebSession(const std::string& hash) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("DELETE FROM web_sessions WHERE hash = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, hash).Run();
}

}  // namespace ms
