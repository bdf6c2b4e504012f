// certs, certs:add, certs:remove, certs:auto, certs:auto:enable,
// certs:auto:disable, certs:wildcard* — the certificates the proxy serves an
// app with over https: one the app's team gives (certs:add, PEM on stdin), for
// the app's own hosts only; ACME's, one per host (server/acme/cert_manager.h),
// on unless disabled; the admin's *.DOMAIN one (certs:add --wildcard).

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "server/acme/cert_manager.h"
#include "server/certs/cert_bundle.h"
#include "server/certs/cert_files.h"
#include "server/commands/command.h"
#include "server/common/clock.h"
#include "server/commands/runtime_access.h"
#include "server/commands/table.h"
#include "server/common/json.h"

namespace ms {
namespace {

constexpr size_t kMaxBundleBytes = 64 * 1024;
constexpr const char* kManual = "manual";

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

std::string Date(int64_t unix_seconds) { return UtcText(unix_seconds, "%Y-%m-%d %H:%M UTC"); }

// The hosts the app answers at: APP.DOMAIN and its custom domains.
Result<std::vector<std::string>> AppHosts(CommandContext& ctx, const std::string& app) {
  auto domains = ctx.services.store.ListDomains(app);
  if (!domains) return std::unexpected(domains.error());
  std::vector<std::string> hosts;
  if (!ctx.services.settings.domain.empty()) hosts.push_back(app + "." + ctx.services.settings.domain);
  hosts.insert(hosts.end(), domains->begin(), domains->end());
  return hosts;
}

// The app's hosts that the certificate's names cover.
std::vector<std::string> Covered(const std::vector<std::string>& names, const std::vector<std::string>& hosts) {
  std::vector<std::string> covered;
  for (const auto& host : hosts) {
    for (const auto& name : names) {
      if (NameCovers(name, host)) {
        covered.push_back(host);
        break;
      }
    }
  }
  return covered;
}

std::string Join(const std::vector<std::string>& words, std::string_view with = ", ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : std::string(with)) + w;
  return out;
}

std::string HttpsUrl(const Settings& settings, const std::string& host) {
  return settings.https_port == 443 ? fmt::format("https://{}/", host)
                                    : fmt::format("https://{}:{}/", host, settings.https_port);
}

// One line of `certs`: a certificate that serves some of the app's hosts, or
// an ACME host with none yet.
struct CertLine {
  std::string source{};
  std::vector<std::string> hosts{};
  const CertRecord* cert = nullptr;  // nullptr: none issued yet
  std::string status{};              // ACME's: "issued", "failing", "waiting"
  std::string last_error{};
  int64_t next_attempt = 0;
};

std::string StatusText(const CertLine& line, int64_t now) {
  const int64_t next = std::max<int64_t>(0, line.next_attempt - now);
  if (!line.cert) {
    return line.status == "failing" ? fmt::format("failing: {} (next try in {} s)", line.last_error, next)
                                    : "waiting for ACME";
  }
  std::string text = line.cert->not_after <= now
                         ? "expired"
                         : fmt::format("ok, {} days left", (line.cert->not_after - now) / 86400);
  if (line.status == "failing") text += fmt::format("; renewal failing: {} (next try in {} s)", line.last_error, next);
  return text;
}

Result<void> Certs(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto own = ctx.services.store.ListCerts(app);
  if (!own) return std::unexpected(own.error());
  auto acme = ctx.services.store.ListAcmeHosts();
  if (!acme) return std::unexpected(acme.error());
  auto wildcard = ctx.services.store.GetWildcardCert();
  if (!wildcard) return std::unexpected(wildcard.error());
  auto hosts = AppHosts(ctx, app);
  if (!hosts) return std::unexpected(hosts.error());
  const int64_t now = Now();
  std::vector<CertLine> lines;
  std::vector<std::string> served;  // hosts a line above serves
  for (const auto& c : *own) {
    lines.push_back({.source = c.source, .hosts = Covered(c.names, *hosts), .cert = &c});
    served.insert(served.end(), lines.back().hosts.begin(), lines.back().hosts.end());
  }
  for (const auto& row : *acme) {
    if (row.app != app || std::find(hosts->begin(), hosts->end(), row.host) == hosts->end()) continue;
    lines.push_back({.source = "acme",
                     .hosts = {row.host},
                     .cert = row.cert.file.empty() ? nullptr : &row.cert,
                     .status = row.status,
                     .last_error = row.last_error,
                     .next_attempt = row.next_attempt});
    served.push_back(row.host);
  }
  if (*wildcard) {
    std::vector<std::string> rest;
    for (const auto& host : Covered((*wildcard)->names, *hosts)) {
      if (std::find(served.begin(), served.end(), host) == served.end()) rest.push_back(host);
    }
    if (!rest.empty()) lines.push_back({.source = "wildcard", .hosts = rest, .cert = &**wildcard});
  }
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& line : lines) {
      nlohmann::json item = {{"source", line.source}, {"hosts", line.hosts}, {"status", StatusText(line, now)}};
      if (line.cert) {
        item["names"] = line.cert->names;
        item["issuer"] = line.cert->issuer;
        item["key_type"] = line.cert->key_type;
        item["expires_at"] = line.cert->not_after;
        item["expired"] = line.cert->not_after <= now;
      }
      if (!line.last_error.empty()) item["last_error"] = line.last_error;
      list.push_back(std::move(item));
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  if (lines.empty()) {
    ctx.out.Write(fmt::format("{} has no certificate: it answers over http only. Add one: certs:add {} < "
                              "bundle.pem (the key and the chain, PEM){}\n",
                              app, app,
                              ctx.services.settings.AcmeDirectory().empty()
                                  ? ""
                                  : fmt::format(", or deploy it: ACME orders one (see: certs:auto {})", app)));
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& line : lines) {
    const CertRecord* c = line.cert;
    rows.push_back({line.source, line.hosts.empty() ? "(none of the app's hosts)" : Join(line.hosts),
                    c ? c->issuer : "-", c ? Date(c->not_after) : "-", c ? c->key_type : "-",
                    StatusText(line, now)});
  }
  ctx.out.Write(FormatTable({"SOURCE", "HOSTS", "ISSUER", "EXPIRES", "KEY", "STATUS"}, rows));
  return {};
}

Result<void> CertsAdd(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto text = ctx.in.ReadAll(kMaxBundleBytes);
  if (!text) return std::unexpected(text.error());
  auto bundle = ParseCertBundle(*text, Now());
  if (!bundle) {
    return InvalidArgument(bundle.error().message + fmt::format(
        "\nPipe the key and the chain in: cat key.pem fullchain.pem | ssh ... certs:add {}", app));
  }
  auto hosts = AppHosts(ctx, app);
  if (!hosts) return std::unexpected(hosts.error());
  auto covered = Covered(bundle->names, *hosts);
  if (covered.empty()) {
    return InvalidArgument(fmt::format(
        "the certificate is for {}, none of which {} answers at ({}). Add the domain first (domains:add {} HOST), "
        "or send a certificate for one of its hosts",
        Join(bundle->names), app, Join(*hosts), app));
  }
  auto record_of = ctx.services.store.GetApp(app);
  if (!record_of) return std::unexpected(record_of.error());
  const std::string file = CertFileName(record_of->id, kManual);
  auto path = ctx.services.settings.ProxyDir() / std::string(kCertsDir) / file;
  if (auto r = WriteSecretFile(path, bundle->pem); !r) return r;
  CertRecord record{.app = app,
                    .source = kManual,
                    .names = bundle->names,
                    .issuer = bundle->issuer,
                    .key_type = bundle->key_type,
                    .not_before = bundle->not_before,
                    .not_after = bundle->not_after,
                    .file = file};
  if (auto r = ctx.services.store.PutCert(record); !r) return r;
  Audit(ctx, app, fmt::format("{} ({}, {}, until {})", Join(bundle->names, " "), bundle->issuer, bundle->key_type,
                              Date(bundle->not_after)));
  RefreshRoutes(ctx, app);
  if (ctx.services.engine) ctx.services.engine->certs.Wake();  // ACME lets go of the hosts it covers
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"hosts", covered}, {"issuer", bundle->issuer}, {"expires_at", bundle->not_after}}));
    return {};
  }
  ctx.out.Write(fmt::format("Added a certificate for {} to {} ({}, {}, expires {}).\n", Join(covered), app,
                            bundle->issuer, bundle->key_type, Date(bundle->not_after)));
  if (ctx.services.settings.https_port == 0) {
    ctx.out.Write("https is off on this server (https_port: 0 in its config.yaml): set a port to serve it.\n");
  } else {
    for (const auto& host : covered) ctx.out.Write("  " + HttpsUrl(ctx.services.settings, host) + "\n");
  }
  return {};
}

Result<void> CertsRemove(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto removed = ctx.services.store.RemoveCert(app);
  if (!removed) return std::unexpected(removed.error());
  if (!*removed) return NotFound(fmt::format("{} has no certificate added with certs:add (see: certs {})", app, app));
  Audit(ctx, app, "");
  RefreshRoutes(ctx, app);
  if (ctx.services.engine) ctx.services.engine->certs.Wake();  // ACME's turn, when on
  // After the routes stop naming it: the proxy never looks for a file that is gone.
  auto record_of = ctx.services.store.GetApp(app);
  if (!record_of) return std::unexpected(record_of.error());
  std::error_code ec;
  std::filesystem::remove(
      ctx.services.settings.ProxyDir() / std::string(kCertsDir) / CertFileName(record_of->id, kManual), ec);
  if (!ctx.json) {
    ctx.out.Write(fmt::format("Removed the certificate of {}.{}\n", app,
                              ctx.services.settings.AcmeDirectory().empty()
                                  ? " Its hosts answer over http only."
                                  : fmt::format(" ACME orders certificates for its hosts (see: certs:auto {}).", app)));
  }
  return {};
}

Result<void> CertsAuto(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto record = ctx.services.store.GetApp(app);
  if (!record) return std::unexpected(record.error());
  auto acme_app = AcmeAppOf(ctx.services.store, *record);
  if (!acme_app) return std::unexpected(acme_app.error());
  auto rows = ctx.services.store.ListAcmeHosts();
  if (!rows) return std::unexpected(rows.error());
  const std::string directory = ctx.services.settings.AcmeDirectory();
  const bool wildcard = WildcardCoversDomain(ctx.services.settings, ctx.services.store);
  // The hosts ACME would hold for the app were it deployed and on.
  AcmeApp as_if_on = *acme_app;
  as_if_on.deployed = as_if_on.auto_on = true;
  std::vector<std::string> hosts;
  for (const auto& w : AcmeHostsWanted(ctx.services.settings, {as_if_on}, wildcard)) {
    if (w.app == app) hosts.push_back(w.host);
  }
  const int64_t now = Now();
  auto row_of = [&](const std::string& host) -> const AcmeHost* {
    for (const auto& row : *rows) {
      if (row.host == host && row.app == app) return &row;
    }
    return nullptr;
  };
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& host : hosts) {
      const AcmeHost* row = row_of(host);
      nlohmann::json item = {{"host", host}, {"status", row ? row->status : "waiting"}};
      if (row && !row->cert.file.empty()) item["expires_at"] = row->cert.not_after;
      if (row && !row->last_error.empty()) {
        item["last_error"] = row->last_error;
        item["failures"] = row->failures;
        item["next_attempt"] = row->next_attempt;
      }
      list.push_back(std::move(item));
    }
    ctx.out.Write(JsonLine({{"enabled", acme_app->auto_on},
                            {"deployed", acme_app->deployed},
                            {"acme_directory", directory},
                            {"hosts", list}}));
    return {};
  }
  if (directory.empty()) {
    ctx.out.Write(fmt::format("ACME is off on this server (the domain {} cannot have public certificates; set "
                              "acme_directory in its config.yaml). certs:add gives {} a certificate.\n",
                              ctx.services.settings.domain, app));
    return {};
  }
  if (!acme_app->auto_on) {
    ctx.out.Write(fmt::format("Automatic certificates are off for {} (certs:auto:enable {}).\n", app, app));
    return {};
  }
  if (hosts.empty()) {
    ctx.out.Write(fmt::format("Nothing to order for {}: its hosts are covered by {} (see: certs {}).\n", app,
                              wildcard ? "the *." + ctx.services.settings.domain + " certificate or its own"
                                       : "its own certificate",
                              app));
    return {};
  }
  ctx.out.Write(fmt::format("Automatic certificates for {} from {}{}\n", app, directory,
                            acme_app->deployed ? "" : " (ordered at its first deploy)"));
  std::vector<std::vector<std::string>> table;
  for (const auto& host : hosts) {
    const AcmeHost* row = row_of(host);
    std::string status = !row ? "waiting" : row->status == "issued" ? "issued, renewed 30 days before it expires"
                                                                     : row->status;
    std::string error = "-";
    if (row && row->status == "failing") {
      error = fmt::format("{} ({} in a row; next try in {} s)", row->last_error, row->failures,
                          std::max<int64_t>(0, row->next_attempt - now));
    }
    table.push_back({host, status, row && !row->cert.file.empty() ? Date(row->cert.not_after) : "-", error});
  }
  ctx.out.Write(FormatTable({"HOST", "STATUS", "EXPIRES", "LAST ERROR"}, table));
  return {};
}

Result<void> SetCertsAuto(CommandContext& ctx, const std::string& app, bool enabled) {
  if (auto r = ctx.services.store.SetCertAuto(app, enabled); !r) return r;
  if (enabled) {
    // Hosts that were failing are tried again at once.
    auto rows = ctx.services.store.ListAcmeHosts();
    if (!rows) return std::unexpected(rows.error());
    for (auto row : *rows) {
      if (row.app != app || row.status != "failing") continue;
      row.failures = 0;
      row.next_attempt = 0;
      if (auto r = ctx.services.store.PutAcmeHost(row); !r) return r;
    }
  }
  Audit(ctx, app, "");
  RefreshRoutes(ctx, app);  // its ACME certificates served again, or no longer
  if (ctx.services.engine) ctx.services.engine->certs.Wake();
  if (!ctx.json) {
    ctx.out.Write(enabled ? fmt::format("Automatic certificates are on for {} (see: certs:auto {}).\n", app, app)
                          : fmt::format("Automatic certificates are off for {}: its ACME certificates are no longer "
                                        "served or renewed.\n",
                                        app));
  }
  return {};
}

// The admin's *.DOMAIN certificate.
Result<void> CertsWildcard(CommandContext& ctx, const Args&) {
  auto cert = ctx.services.store.GetWildcardCert();
  if (!cert) return std::unexpected(cert.error());
  if (ctx.json) {
    ctx.out.Write(JsonLine(*cert ? nlohmann::json{{"names", (*cert)->names},
                                                  {"issuer", (*cert)->issuer},
                                                  {"key_type", (*cert)->key_type},
                                                  {"expires_at", (*cert)->not_after}}
                                 : nlohmann::json(nullptr)));
    return {};
  }
  if (!*cert) {
    ctx.out.Write(fmt::format("No *.{} certificate: each app gets its own (certs:auto). Give one: "
                              "certs:add --wildcard < bundle.pem\n",
                              ctx.services.settings.domain));
    return {};
  }
  ctx.out.Write(FormatTable({"NAMES", "ISSUER", "EXPIRES", "KEY"},
                            {{Join((*cert)->names), (*cert)->issuer, Date((*cert)->not_after), (*cert)->key_type}}));
  return {};
}

Result<void> CertsWildcardAdd(CommandContext& ctx, const Args&) {
  const std::string& domain = ctx.services.settings.domain;
  auto text = ctx.in.ReadAll(kMaxBundleBytes);
  if (!text) return std::unexpected(text.error());
  auto bundle = ParseCertBundle(*text, Now());
  if (!bundle) {
    return InvalidArgument(bundle.error().message +
                           "\nPipe the key and the chain in: cat key.pem fullchain.pem | ssh ... certs:add --wildcard");
  }
  const std::string wanted = "*." + domain;
  if (std::find(bundle->names.begin(), bundle->names.end(), wanted) == bundle->names.end()) {
    return InvalidArgument(fmt::format("the certificate is for {}, not {}: send a certificate for {}",
                                       Join(bundle->names), wanted, wanted));
  }
  const std::string file = "wildcard.pem";
  if (auto r = WriteSecretFile(ctx.services.settings.ProxyDir() / std::string(kCertsDir) / file, bundle->pem); !r) {
    return r;
  }
  if (auto r = ctx.services.store.PutWildcardCert({.names = bundle->names,
                                                   .issuer = bundle->issuer,
                                                   .key_type = bundle->key_type,
                                                   .not_before = bundle->not_before,
                                                   .not_after = bundle->not_after,
                                                   .file = file});
      !r) {
    return r;
  }
  Audit(ctx, "", fmt::format("{} ({}, until {})", Join(bundle->names, " "), bundle->issuer, Date(bundle->not_after)));
  if (ctx.services.engine) {
    auto& proxy = ctx.services.engine->proxy;
    auto r = proxy.WriteRoutes();
    if (r) r = proxy.WaitLoaded();
    if (!r) ctx.err.Write(fmt::format("warning: the proxy's routes were not updated: {}\n", r.error().message));
    ctx.services.engine->certs.Wake();
  }
  if (!ctx.json) {
    ctx.out.Write(fmt::format("Added the {} certificate ({}, expires {}): every app without a certificate of its "
                              "own uses it; ACME no longer orders APP.{} names.\n",
                              wanted, bundle->issuer, Date(bundle->not_after), domain));
  }
  return {};
}

Result<void> CertsWildcardRemove(CommandContext& ctx, const Args&) {
  auto removed = ctx.services.store.RemoveWildcardCert();
  if (!removed) return std::unexpected(removed.error());
  if (!*removed) return NotFound("there is no wildcard certificate (see: certs --wildcard)");
  Audit(ctx, "", "");
  if (ctx.services.engine) {
    auto& proxy = ctx.services.engine->proxy;
    auto r = proxy.WriteRoutes();
    if (r) r = proxy.WaitLoaded();
    if (!r) ctx.err.Write(fmt::format("warning: the proxy's routes were not updated: {}\n", r.error().message));
    ctx.services.engine->certs.Wake();  // APP.DOMAIN names by ACME again
  }
  std::error_code ec;
  std::filesystem::remove(ctx.services.settings.ProxyDir() / std::string(kCertsDir) / "wildcard.pem", ec);
  if (!ctx.json) ctx.out.Write("Removed the wildcard certificate.\n");
  return {};
}

Result<void> CertsAutoEnable(CommandContext& ctx, const Args& args) { return SetCertsAuto(ctx, args.positional[0], true); }
Result<void> CertsAutoDisable(CommandContext& ctx, const Args& args) {
  return SetCertsAuto(ctx, args.positional[0], false);
}

const HandlerEntry kHandlers[] = {
    {"certs", Certs},
    {"certs:add", CertsAdd},
    {"certs:remove", CertsRemove},
    {"certs:auto", CertsAuto},
    {"certs:auto:enable", CertsAutoEnable},
    {"certs:auto:disable", CertsAutoDisable},
    {"certs:wildcard", CertsWildcard},
    {"certs:wildcard:add", CertsWildcardAdd},
    {"certs:wildcard:remove", CertsWildcardRemove},
};

}  // namespace

std::span<const HandlerEntry> CertsHandlers() { return kHandlers; }

}  // namespace ms
