// certs, certs:add, certs:remove, certs:auto, certs:auto:enable,
// certs:auto:disable — the certificates the proxy serves an app with over
// https: one the app's team gives (certs:add, PEM on stdin), for the app's own
// hosts only, or ACME's (server/acme/cert_manager.h), on unless disabled.

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "server/acme/cert_manager.h"
#include "server/certs/cert_bundle.h"
#include "server/certs/cert_files.h"
#include "server/commands/command.h"
#include "server/commands/runtime_access.h"
#include "server/commands/table.h"
#include "server/common/json.h"

namespace ms {
namespace {

constexpr size_t kMaxBundleBytes = 64 * 1024;
constexpr const char* kManual = "manual";

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

std::string Date(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

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

Result<void> Certs(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto certs = ctx.services.store.ListCerts(app);
  if (!certs) return std::unexpected(certs.error());
  auto hosts = AppHosts(ctx, app);
  if (!hosts) return std::unexpected(hosts.error());
  const int64_t now = Now();
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& c : *certs) {
      list.push_back({{"source", c.source},
                      {"names", c.names},
                      {"hosts", Covered(c.names, *hosts)},
                      {"issuer", c.issuer},
                      {"key_type", c.key_type},
                      {"expires_at", c.not_after},
                      {"expired", c.not_after <= now},
                      {"added_at", c.added_at}});
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  if (certs->empty()) {
    ctx.out.Write(fmt::format("{} has no certificate: it answers over http only. Add one: certs:add {} < "
                              "bundle.pem (the key and the chain, PEM)\n",
                              app, app));
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : *certs) {
    auto covered = Covered(c.names, *hosts);
    int64_t days = (c.not_after - now) / 86400;
    std::string status = c.not_after <= now ? "expired"
                         : covered.empty()  ? "names none of the app's hosts"
                                            : fmt::format("ok, {} days left", days);
    rows.push_back({c.source, covered.empty() ? "-" : Join(covered), c.issuer, Date(c.not_after), c.key_type,
                    status});
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
  auto removed = ctx.services.store.RemoveCert(app, kManual);
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
  if (!ctx.json) ctx.out.Write(fmt::format("Removed the certificate of {}: it answers over http only.\n", app));
  return {};
}

Result<void> CertsAuto(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto state = ctx.services.store.GetCertAuto(app);
  if (!state) return std::unexpected(state.error());
  const std::string directory = AcmeDirectoryOf(ctx.services.settings);
  auto domains = ctx.services.store.ListDomains(app);
  if (!domains) return std::unexpected(domains.error());
  auto names = AcmeNames(ctx.services.settings, app, *domains, WildcardCoversDomain(ctx.services.settings,
                                                                                   ctx.services.store));
  const int64_t now = Now();
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"enabled", state->enabled},
                            {"acme_directory", directory},
                            {"names", names},
                            {"status", state->status},
                            {"last_error", state->last_error},
                            {"failures", state->failures},
                            {"next_attempt", state->next_attempt}}));
    return {};
  }
  if (directory.empty()) {
    ctx.out.Write(fmt::format("ACME is off on this server (the domain {} cannot have public certificates; set "
                              "acme_directory in its config.yaml). certs:add gives {} a certificate.\n",
                              ctx.services.settings.domain, app));
    return {};
  }
  if (!state->enabled) {
    ctx.out.Write(fmt::format("Automatic certificates are off for {} (certs:auto:enable {}).\n", app, app));
    return {};
  }
  if (names.empty()) {
    ctx.out.Write(fmt::format("Nothing to order for {}: the *.{} certificate covers it (see: certs:wildcard).\n",
                              app, ctx.services.settings.domain));
    return {};
  }
  ctx.out.Write(fmt::format("Automatic certificates for {}: {} from {}\n", app, Join(names), directory));
  if (state->status == "failed") {
    ctx.out.Write(fmt::format("Last attempt failed ({} in a row): {}\nNext attempt in {} s.\n", state->failures,
                              state->last_error, std::max<int64_t>(0, state->next_attempt - now)));
  } else if (state->status == "issued") {
    ctx.out.Write("Issued; renewed 30 days before it expires (see: certs " + app + ").\n");
  } else {
    ctx.out.Write("Waiting: ordered at the app's first deploy (and looked at every minute).\n");
  }
  return {};
}

Result<void> SetCertsAuto(CommandContext& ctx, const std::string& app, bool enabled) {
  auto state = ctx.services.store.GetCertAuto(app);
  if (!state) return std::unexpected(state.error());
  state->enabled = enabled;
  state->failures = 0;
  state->next_attempt = 0;
  if (auto r = ctx.services.store.PutCertAuto(*state); !r) return r;
  Audit(ctx, app, "");
  if (ctx.services.engine) ctx.services.engine->certs.Wake();
  if (!ctx.json) {
    ctx.out.Write(enabled ? fmt::format("Automatic certificates are on for {} (see: certs:auto {}).\n", app, app)
                          : fmt::format("Automatic certificates are off for {}; the one it has is served until it "
                                        "expires or is removed.\n",
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
                              "certs:wildcard:add < bundle.pem\n",
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
                           "\nPipe the key and the chain in: cat key.pem fullchain.pem | ssh ... certs:wildcard:add");
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
  if (!*removed) return NotFound("there is no wildcard certificate (see: certs:wildcard)");
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
