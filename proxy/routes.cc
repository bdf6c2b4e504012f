#include "proxy/routes.h"

#include "server/contracts/routes_file.h"

namespace ms::proxy {

std::string NormalizeHost(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    host = close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);  // "shop.example.com."
  std::string out(host);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<RouteTable> RouteTable::Parse(std::string_view json, std::string& error) {
  auto file = contracts::ParseRoutesFile(json);
  if (!file) {
    error = file.error().message;
    return std::nullopt;
  }
  RouteTable table;
  table.domain_ = NormalizeHost(file->domain);
  for (auto& app : file->apps) {
    auto upstream = contracts::SplitUpstream(app.upstream);
    if (!upstream) {  // ParseRoutesFile checked it
      error = upstream.error().message;
      return std::nullopt;
    }
    auto route = std::make_shared<Route>();
    route->app = std::move(app.name);
    route->upstream_host = std::move(upstream->host);
    route->upstream_port = upstream->port;
    route->upstream = std::move(app.upstream);
    route->running = app.running;
    route->redirect_https = app.redirect_https;
    route->tasks = std::move(app.tasks);
    route->tasks_until = app.tasks_until;
    const Route* raw = route.get();
    table.routes_.push_back(std::move(route));
    table.by_name_[raw->app] = raw;
    for (const auto& domain : app.domains) {
      std::string name = NormalizeHost(domain);
      if (name.starts_with("*.")) {
        table.wildcard_[name.substr(2)] = raw;
      } else if (!name.empty()) {
        table.exact_[name] = raw;
      }
    }
  }
  for (auto& cert : file->certs) {
    table.certs_.push_back({std::move(cert.hosts), std::move(cert.file), std::move(cert.version)});
  }
  for (auto& [token, answer] : file->acme) table.acme_.emplace(token, std::move(answer));
  table.hsts_max_age_ = file->hsts_max_age;
  table.version_ = std::move(file->version);
  if (file->platform) {
    auto platform = std::make_shared<Route>();
    platform->app = std::string(kPlatformApp);
    platform->socket = std::move(file->platform->socket);
    table.platform_host_ = NormalizeHost(file->platform->host);
    table.platform_ = std::move(platform);
  }
  return table;
}

const Route* RouteTable::Find(std::string_view raw_host) const {
  std::string host = NormalizeHost(raw_host);
  if (host.empty()) return nullptr;
  if (platform_ && host == platform_host_) return platform_.get();
  if (auto it = exact_.find(host); it != exact_.end()) return it->second;
  if (!domain_.empty() && host.size() > domain_.size() + 1 && host.ends_with(domain_) &&
      host[host.size() - domain_.size() - 1] == '.') {
    std::string_view label(host.data(), host.size() - domain_.size() - 1);
    if (label.find('.') == std::string_view::npos) {
      if (auto it = by_name_.find(label); it != by_name_.end()) return it->second;
    }
  }
  // Wildcards: the longest matching suffix first.
  for (size_t dot = host.find('.'); dot != std::string::npos; dot = host.find('.', dot + 1)) {
    if (auto it = wildcard_.find(std::string_view(host).substr(dot + 1)); it != wildcard_.end()) return it->second;
  }
  return nullptr;
}

const Route* RouteTable::FindApp(std::string_view app) const {
  auto it = by_name_.find(app);
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace ms::proxy
