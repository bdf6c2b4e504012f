// The certificates the proxy serves: the apps' own (certs), ACME's per host
// (acme_hosts, cert_auto_off), the admin's *.DOMAIN one (wildcard_cert), and
// http:redirect (https_redirects).

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
      "SELECT apps.name, names, issuer, key_type, not_before, not_after, file, added_at FROM certs "
      "JOIN apps ON apps.id = certs.app_id WHERE ? = 0 OR app_id = ? ORDER BY apps.name");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, app_id).Bind(2, app_id);
  std::vector<CertRecord> certs;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    certs.push_back({.app = stmt->Text(0),
                     .source = "manual",
                     .names = SplitNames(stmt->Text(1)),
                     .issuer = stmt->Text(2),
                     .key_type = stmt->Text(3),
                     .not_before = stmt->Int(4),
                     .not_after = stmt->Int(5),
                     .file = stmt->Text(6),
                     .added_at = stmt->Text(7)});
  }
  return certs;
}

Result<void> Store::PutCert(const CertRecord& cert) {
  auto lock = db_->Lock();
  auto app_id = AppId(cert.app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(
      "INSERT OR REPLACE INTO certs (app_id, names, issuer, key_type, not_before, not_after, file) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, *app_id)
      .Bind(2, JoinNames(cert.names))
      .Bind(3, cert.issuer)
      .Bind(4, cert.key_type)
      .Bind(5, cert.not_before)
      .Bind(6, cert.not_after)
      .Bind(7, cert.file)
      .Run();
}

Result<bool> Store::RemoveCert(const std::string& app) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("DELETE FROM certs WHERE app_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, *app_id).Run(); !r) return std::unexpected(r.error());
  return db_->Changes() > 0;
}

Result<std::vector<AcmeHost>> Store::ListAcmeHosts() {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare(
      "SELECT host, COALESCE(apps.name, ''), status, last_error, failures, next_attempt, issuer, key_type, "
      "not_before, not_after, file, issued_at FROM acme_hosts LEFT JOIN apps ON apps.id = acme_hosts.app_id "
      "ORDER BY host");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<AcmeHost> hosts;
  for (;;) {
    auto row = stmt->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    AcmeHost h{.host = stmt->Text(0),
               .app = stmt->Text(1),
               .status = stmt->Text(2),
               .last_error = stmt->Text(3),
               .failures = static_cast<int>(stmt->Int(4)),
               .next_attempt = stmt->Int(5)};
    h.cert = {.app = h.app,
              .source = "acme",
              .names = {h.host},
              .issuer = stmt->Text(6),
              .key_type = stmt->Text(7),
              .not_before = stmt->Int(8),
              .not_after = stmt->Int(9),
              .file = stmt->Text(10),
              .added_at = stmt->Text(11)};
    hosts.push_back(std::move(h));
  }
  return hosts;
}

Result<void> Store::PutAcmeHost(const AcmeHost& host) {
  auto lock = db_->Lock();
  int64_t app_id = 0;
  if (!host.app.empty()) {
    auto id = AppId(host.app);
    if (!id) return std::unexpected(id.error());
    app_id = *id;
  }
  auto stmt = db_->Prepare(
      "INSERT OR REPLACE INTO acme_hosts (host, app_id, status, last_error, failures, next_attempt, issuer, "
      "key_type, not_before, not_after, file, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, host.host);
  if (app_id == 0) {
    stmt->BindNull(2);
  } else {
    stmt->Bind(2, app_id);
  }
  return stmt->Bind(3, host.status)
      .Bind(4, host.last_error)
      .Bind(5, int64_t{host.failures})
      .Bind(6, host.next_attempt)
      .Bind(7, host.cert.issuer)
      .Bind(8, host.cert.key_type)
      .Bind(9, host.cert.not_before)
      .Bind(10, host.cert.not_after)
      .Bind(11, host.cert.file)
      .Bind(12, host.cert.added_at)
      .Run();
}

Result<bool> Store::RemoveAcmeHost(const std::string& host) {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("DELETE FROM acme_hosts WHERE host = ?");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto r = stmt->Bind(1, host).Run(); !r) return std::unexpected(r.error());
  return db_->Changes() > 0;
}

Result<bool> Store::GetCertAuto(const std::string& app) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare("SELECT 1 FROM cert_auto_off WHERE app_id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->Bind(1, *app_id);
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  return !*row;
}

Result<void> Store::SetCertAuto(const std::string& app, bool enabled) {
  auto lock = db_->Lock();
  auto app_id = AppId(app);
  if (!app_id) return std::unexpected(app_id.error());
  auto stmt = db_->Prepare(enabled ? "DELETE FROM cert_auto_off WHERE app_id = ?"
                                   : "INSERT OR IGNORE INTO cert_auto_off (app_id) VALUES (?)");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->Bind(1, *app_id).Run();
}

Result<std::optional<CertRecord>> Store::GetWildcardCert() {
  auto lock = db_->Lock();
  auto stmt = db_->Prepare("SELECT names, issuer, key_type, not_after, file, added_at FROM wildcard_cert");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->Step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<CertRecord>();
  return CertRecord{.source = "wildcard",
                    .names = SplitNames(stmt->Text(0)),
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
