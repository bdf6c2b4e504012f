#include "proxy/routes.h"

#include <nlohmann/json.hpp>

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
  auto doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object() || !doc.contains("apps") || !doc["apps"].is_array()) {
    error = "expected {\"domain\": ..., \"apps\": [...]}";
    return std::nullopt;
  }
  RouteTable table;
  table.domain_ = NormalizeHost(doc.value("domain", std::string()));
  for (const auto& app : doc["apps"]) {
    if (!app.is_object() || !app.contains("name") || !app["name"].is_string() || !app.contains("upstream") ||
        !app["upstream"].is_string()) {
      error = "every app needs a \"name\" and an \"upstream\" (HOST:PORT)";
      return std::nullopt;
    }
    auto route = std::make_shared<Route>();
    route->app = app["name"].get<std::string>();
    std::string upstream = app["upstream"].get<std::string>();
    auto colon = upstream.rfind(':');
    int port = colon == std::string::npos ? 0 : std::atoi(upstream.c_str() + colon + 1);
    if (colon == std::string::npos || colon == 0 || port <= 0 || port > 65535) {
      error = "upstream \"" + upstream + "\" of " + route->app + " is not HOST:PORT";
      return std::nullopt;
    }
    route->upstream_host = upstream.substr(0, colon);
    route->upstream_port = static_cast<uint16_t>(port);
    route->upstream = upstream;
    route->running = app.value("running", true);
    const Route* raw = route.get();
    table.routes_.push_back(std::move(route));
    table.by_name_[raw->app] = raw;
    if (app.contains("domains") && app["domains"].is_array()) {
      for (const auto& d : app["domains"]) {
        if (!d.is_string()) continue;
        std::string name = NormalizeHost(d.get<std::string>());
        if (name.starts_with("*.")) {
          table.wildcard_[name.substr(2)] = raw;
        } else if (!name.empty()) {
          table.exact_[name] = raw;
        }
      }
    }
  }
  return table;
}

const Route* RouteTable::Find(std::string_view raw_host) const {
  std::string host = NormalizeHost(raw_host);
  if (host.empty()) return nullptr;
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

}  // namespace ms::proxy
