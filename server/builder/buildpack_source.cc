#include "server/builder/buildpack_source.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

namespace ms {
namespace {

bool IsLocalAddress(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr);
    return (a >> 24) == 127 || (a >> 16) == 0xA9FE || a == 0;  // 127/8, 169.254/16, 0.0.0.0
  }
  if (sa->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a) || IN6_IS_ADDR_LINKLOCAL(&a) || IN6_IS_ADDR_UNSPECIFIED(&a)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      sockaddr_in v4{};
      v4.sin_family = AF_INET;
      std::copy(a.s6_addr + 12, a.s6_addr + 16, reinterpret_cast<uint8_t*>(&v4.sin_addr.s_addr));
      return IsLocalAddress(reinterpret_cast<const sockaddr*>(&v4));
    }
  }
  return false;
}

std::string Allowed(const std::vector<std::string>& bundled) {
  return fmt::format("a bundled buildpack ({}) or a git URL https://host/repo.git#ref", fmt::join(bundled, ", "));
}

}  // namespace

std::string UrlHost(std::string_view url) {
  if (!url.starts_with("https://")) return "";
  std::string_view rest = url.substr(8);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    return close == std::string_view::npos ? "" : std::string(rest.substr(1, close - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

bool ResolvesToThisHost(const std::string& host) {
  std::string lower = host;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "localhost" || lower.ends_with(".localhost")) return true;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;  // the fetch will say it
  bool local = false;
  for (addrinfo* a = found; a; a = a->ai_next) local = local || IsLocalAddress(a->ai_addr);
  freeaddrinfo(found);
  return local;
}

Result<void> CheckBuildpackHost(const BuildpackSource& source) {
  if (source.kind != BuildpackKind::kRemote || !ResolvesToThisHost(UrlHost(source.url))) return {};
  return InvalidArgument(fmt::format(
      "buildpack {}: its host is this machine (a loopback or link-local address), which builds may not reach",
      source.url));
}

Result<BuildpackSource> ParseBuildpackSource(std::string_view spec, const std::vector<std::string>& bundled,
                                             const std::vector<std::string>& local_dirs) {
  BuildpackSource source;
  std::string_view name = spec.starts_with("heroku/") ? spec.substr(7) : spec;
  if (std::find(bundled.begin(), bundled.end(), name) != bundled.end()) {
    source.name = std::string(name);
    return source;
  }
  if (spec.empty() || spec.size() > 1000 || spec.find_first_of(" \t\r\n") != std::string_view::npos ||
      spec.find('\0') != std::string_view::npos) {
    return InvalidArgument(fmt::format("'{}' is not a buildpack: use {}", spec.substr(0, 100), Allowed(bundled)));
  }
  auto hash = spec.find('#');
  std::string_view location = spec.substr(0, hash);
  source.ref = hash == std::string_view::npos ? "" : std::string(spec.substr(hash + 1));
  if (source.ref.starts_with('-')) {
    return InvalidArgument(fmt::format("'{}': a ref after '#' cannot start with '-'", spec.substr(0, 100)));
  }

  if (location.starts_with("https://")) {
    std::string host = UrlHost(location);
    if (host.empty()) return InvalidArgument(fmt::format("'{}' has no host", location.substr(0, 100)));
    source.kind = BuildpackKind::kRemote;
    source.url = std::string(location);
    return source;
  }
  if (location.starts_with("file://") || location.starts_with("/")) {
    std::filesystem::path path(location.starts_with("file://") ? location.substr(7) : location);
    std::error_code ec;
    auto real = std::filesystem::weakly_canonical(path, ec);
    bool under = false;
    for (const auto& dir : local_dirs) {
      auto root = std::filesystem::weakly_canonical(dir, ec);
      if (root.empty()) continue;
      auto rel = real.lexically_relative(root);
      under = under || (!rel.empty() && *rel.begin() != ".." && rel != ".");
    }
    if (!under) {
      return InvalidArgument(fmt::format(
          "'{}' is a path on the server: buildpacks come from https:// git URLs, or from directories an admin "
          "lists in local_buildpacks in config.yaml{}",
          location.substr(0, 100),
          local_dirs.empty() ? " (there are none)" : fmt::format(" ({})", fmt::join(local_dirs, ", "))));
    }
    source.kind = BuildpackKind::kLocal;
    source.path = real;
    return source;
  }
  for (std::string_view scheme : {"http://", "git://", "ssh://", "git@"}) {
    if (location.starts_with(scheme)) {
      return InvalidArgument(fmt::format("'{}': buildpacks are fetched over https:// only (git URLs like "
                                         "https://host/repo.git#ref)",
                                         location.substr(0, 100)));
    }
  }
  return InvalidArgument(fmt::format("'{}' is not a buildpack: use {}", spec.substr(0, 100), Allowed(bundled)));
}

}  // namespace ms
