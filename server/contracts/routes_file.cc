#include "server/contracts/routes_file.h"

#include <arpa/inet.h>

#include <charconv>

#include "server/contracts/json_fields.h"

namespace ms::contracts {

using detail::Json;

std::string ToJson(const RoutesFile& routes) {
  Json apps = Json::array();
  for (const auto& app : routes.apps) {
    Json entry = {{"name", app.name}, {"upstream", app.upstream}, {"running", app.running}, {"domains", app.domains}};
    if (app.redirect_https) entry["redirect_https"] = true;  // (left out when false: the bytes of earlier daemons)
    if (!app.tasks.empty()) {
      entry["tasks"] = app.tasks;
      entry["tasks_until"] = app.tasks_until;
    }
    apps.push_back(std::move(entry));
  }
  Json doc = {{"domain", routes.domain}, {"apps", std::move(apps)}};
  // (None: the bytes of the daemons before certificates.)
  if (!routes.certs.empty()) {
    Json certs = Json::array();
    for (const auto& cert : routes.certs) {
      certs.push_back({{"hosts", cert.hosts}, {"file", cert.file}, {"version", cert.version}});
    }
    doc["certs"] = std::move(certs);
  }
  if (!routes.acme.empty()) doc["acme"] = routes.acme;
  if (routes.hsts_max_age > 0) doc["hsts_max_age"] = routes.hsts_max_age;
  if (!routes.version.empty()) doc["version"] = routes.version;
  if (routes.platform) doc["platform"] = {{"host", routes.platform->host}, {"socket", routes.platform->socket}};
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<HostPort> SplitUpstream(std::string_view upstream) {
  auto colon = upstream.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Failed("upstream \"" + std::string(upstream) + "\" is not HOST:PORT");
  }
  std::string_view digits = upstream.substr(colon + 1);
  uint16_t port = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port == 0) {
    return Failed("upstream \"" + std::string(upstream) + "\" is not HOST:PORT (a port from 1 to 65535)");
  }
  return HostPort{std::string(upstream.substr(0, colon)), port};
}

namespace {

// doc["platform"], when present: a host and a socket path the proxy can connect to.
Result<std::optional<PlatformRoute>> ParsePlatform(const Json& doc) {
  auto platform = doc.find("platform");
  if (platform == doc.end()) return std::nullopt;
  const std::string where = "routes.json platform";
  if (!platform->is_object()) return Failed(where + ": not an object");
  auto host = detail::Get<std::string>(*platform, "host", where);
  if (!host) return std::unexpected(host.error());
  if (host->empty()) return Failed(where + ": \"host\" is empty");
  auto socket = detail::Get<std::string>(*platform, "socket", where);
  if (!socket) return std::unexpected(socket.error());
  // (sun_path holds 108 bytes, its NUL included; a NUL inside would name another socket.)
  constexpr size_t kMaxSocketPath = 107;
  if (!socket->starts_with('/') || socket->size() > kMaxSocketPath || socket->find('\0') != std::string::npos) {
    return Failed(where + ": \"socket\" must be an absolute path of at most " + std::to_string(kMaxSocketPath) +
                  " bytes");
  }
  return PlatformRoute{std::move(*host), std::move(*socket)};
}

}  // namespace

Result<RoutesFile> ParseRoutesFile(std::string_view text) {
  auto doc = detail::ParseObject(text, "routes.json");
  if (!doc) return std::unexpected(doc.error());
  RoutesFile routes;
  auto domain = detail::GetOr<std::string>(*doc, "domain", "", "routes.json");
  if (!domain) return std::unexpected(domain.error());
  routes.domain = std::move(*domain);
  auto apps = doc->find("apps");
  if (apps == doc->end() || !apps->is_array()) {
    return Failed("routes.json: expected {\"domain\": ..., \"apps\": [...]}");
  }
  for (size_t i = 0; i < apps->size(); ++i) {
    const Json& app = (*apps)[i];
    std::string where = "routes.json apps[" + std::to_string(i) + "]";
    if (!app.is_object()) return Failed(where + ": not an object");
    auto name = detail::Get<std::string>(app, "name", where);
    if (!name) return std::unexpected(name.error());
    auto upstream = detail::Get<std::string>(app, "upstream", where);
    if (!upstream) return std::unexpected(upstream.error());
    if (auto split = SplitUpstream(*upstream); !split) {
      return Failed(where + " (" + *name + "): " + split.error().message);
    }
    auto running = detail::GetOr<bool>(app, "running", true, where);
    if (!running) return std::unexpected(running.error());
    auto domains = detail::GetOr<std::vector<std::string>>(app, "domains", {}, where);
    if (!domains) return std::unexpected(domains.error());
    auto redirect = detail::GetOr<bool>(app, "redirect_https", false, where);
    if (!redirect) return std::unexpected(redirect.error());
    auto tasks = detail::GetOr<std::vector<std::string>>(app, "tasks", {}, where);
    if (!tasks) return std::unexpected(tasks.error());
    for (const auto& task : *tasks) {
      in_addr address{};
      if (inet_pton(AF_INET, task.c_str(), &address) != 1) {
        return Failed(where + " (" + *name + "): task \"" + task + "\" is not an IPv4 address");
      }
    }
    auto tasks_until = detail::GetOr<int64_t>(app, "tasks_until", 0, where);
    if (!tasks_until) return std::unexpected(tasks_until.error());
    routes.apps.push_back({std::move(*name), std::move(*upstream), *running, std::move(*domains), *redirect,
                           std::move(*tasks), *tasks_until});
  }
  auto certs = doc->find("certs");
  if (certs != doc->end() && !certs->is_array()) return Failed("routes.json: \"certs\" must be an array");
  for (size_t i = 0; certs != doc->end() && i < certs->size(); ++i) {
    const Json& cert = (*certs)[i];
    std::string where = "routes.json certs[" + std::to_string(i) + "]";
    if (!cert.is_object()) return Failed(where + ": not an object");
    auto hosts = detail::Get<std::vector<std::string>>(cert, "hosts", where);
    if (!hosts) return std::unexpected(hosts.error());
    if (hosts->empty()) return Failed(where + ": \"hosts\" is empty");
    auto file = detail::Get<std::string>(cert, "file", where);
    if (!file) return std::unexpected(file.error());
    auto version = detail::GetOr<std::string>(cert, "version", "", where);
    if (!version) return std::unexpected(version.error());
    routes.certs.push_back({std::move(*hosts), std::move(*file), std::move(*version)});
  }
  auto hsts = detail::GetOr<int64_t>(*doc, "hsts_max_age", 0, "routes.json");
  if (!hsts) return std::unexpected(hsts.error());
  routes.hsts_max_age = *hsts;
  auto routes_version = detail::GetOr<std::string>(*doc, "version", "", "routes.json");
  if (!routes_version) return std::unexpected(routes_version.error());
  routes.version = std::move(*routes_version);
  auto platform = ParsePlatform(*doc);
  if (!platform) return std::unexpected(platform.error());
  routes.platform = std::move(*platform);
  auto acme = doc->find("acme");
  if (acme != doc->end() && !acme->is_object()) return Failed("routes.json: \"acme\" must be an object");
  if (acme != doc->end()) {
    for (const auto& [token, value] : acme->items()) {
      if (!value.is_string()) return Failed("routes.json acme[\"" + token + "\"]: must be a string");
      routes.acme[token] = value.get<std::string>();
    }
  }
  return routes;
}

}  // namespace ms::contracts
