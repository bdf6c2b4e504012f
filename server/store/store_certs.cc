// The certs table: the certificates the proxy serves for each app.

#include <fmt/format.h>

#include <sstream>

#include "server/store/store.h"

namespace ms {
namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

std::vector<std::string> SplitNames(const std::string& text) {
  std::vector<std::string> names;
  std::istringstream in(text);
  for (std::string n; in >> n;) names.push_back(n);
  return names;
}

}  // namespace

Result<std::vector<CertRecord>> Store::ListCerts(const std::string& app) {
  auto lock = db_->Lock();
  int64_t app_id = 0;
  if (!app.empty()) {
    auto id = AppId(app);
    if (!id) return std::unexpected(id.error());
    app_id = *id;
  }
  auto stmt = db_->Prepare(
      "SELECT apps.name, source, names, issuer, key_type, not_before, not_after, file, added_at FROM certs "
      "JOIN apps ON apps.id = certs.app_id WHERE ? = 0 OR app_id = ? ORDER BY apps.name, source");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, app_id).Bind(2, app_id);
  std::vector<CertRecord> certs;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    certs.push_back({stmt->Text(0), stmt->Text(1), SplitNames(stmt->Text(2)), stmt->Text(3), stmt->Text(4),
                     stmt->Int(5), stmt->Int(6), stmt->Text(7), stmt->Text(8)});
  }
  return certs;
}

Result<void> Store::PutCert(const CertRecord& cert) {
  auto lock = db_->Lock();
  auto app_id = AppId(cert.app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(
      "INSERT INTO certs (app_id, source, names, issuer, key_type, not_before, not_after, file) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (app_id, source) DO UPDATE SET names = excluded.names, issuer = excluded.issuer, "
      "key_type = excluded.key_type, not_before = excluded.not_before, not_after = excluded.not_after, "
      "file = excluded.file, "
      "added_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, *app_id)
      .Bind(2, cert.source)
      .Bind(3, JoinNames(cert.names))
      .Bind(4, cert.issuer)
      .Bind(5, cert.key_type)
      .Bind(6, cert.not_before)
      .Bind(7, cert.not_after)
      .Bind(8, cert.file)
      .Run();
}

Result<bool> Store::RemoveCert(const std::string& app, const std::string& source) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("DELETE FROM certs WHERE app_id = ? AND source = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, *app_id).Bind(2, source).Run(); !r) return std::unexpected(r.error());
  return db_->Changes() > 0;
}

Result<CertAuto> Store::GetCertAuto(const std::string& app) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(
      "SELECT enabled, status, last_error, failures, next_attempt FROM cert_auto WHERE app_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  CertAuto state{.app = app};
  if (!*row) return state;
  state.enabled = stmt->Int(0) != 0;
  state.status = stmt->Text(1);
  state.last_error = stmt->Text(2);
  state.failures = static_cast<int>(stmt->Int(3));
  state.next_attempt = stmt->Int(4);
  return state;
}

Result<void> Store::PutCertAuto(const CertAuto& state) {
  auto lock = db_->Lock();
  auto app_id = AppId(state.app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(
      "INSERT INTO cert_auto (app_id, enabled, status, last_error, failures, next_attempt) VALUES (?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (app_id) DO UPDATE SET enabled = excluded.enabled, status = excluded.status, "
      "last_error = excluded.last_error, failures = excluded.failures, next_attempt = excluded.next_attempt");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, *app_id)
      .Bind(2, int64_t{state.enabled ? 1 : 0})
      .Bind(3, state.status)
      .Bind(4, state.last_error)
      .Bind(5, int64_t{state.failures})
      .Bind(6, state.next_attempt)
      .Run();
}

Result<std::optional<CertRecord>> Store::GetWildcardCert() {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("SELECT names, issuer, key_type, not_after, file, added_at FROM wildcard_cert");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<CertRecord>();
  return CertRecord{.names = SplitNames(stmt->Text(0)),
                    .issuer = stmt->Text(1),
                    .key_type = stmt->Text(2),
                    .not_after = stmt->Int(3),
                    .file = stmt->Text(4),
                    .added_at = stmt->Text(5)};
}

Result<void> Store::PutWildcardCert(const CertRecord& cert) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      "INSERT OR REPLACE INTO wildcard_cert (id, names, issuer, key_type, not_after, file) VALUES (1, ?, ?, ?, ?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, JoinNames(cert.names))
      .Bind(2, cert.issuer)
      .Bind(3, cert.key_type)
      .Bind(4, cert.not_after)
      .Bind(5, cert.file)
      .Run();
}

Result<bool> Store::RemoveWildcardCert() {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("DELETE FROM wildcard_cert");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Run(); !r) return std::unexpected(r.error());
  return db_->Changes() > 0;
}

Result<bool> Store::GetHttpsRedirect(const std::string& app) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("SELECT 1 FROM https_redirects WHERE app_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  return *row;
}

Result<void> Store::SetHttpsRedirect(const std::string& app, bool on) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(on ? "INSERT OR IGNORE INTO https_redirects (app_id) VALUES (?)"
                              : "DELETE FROM https_redirects WHERE app_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, *app_id).Run();
}

}  // namespace ms
