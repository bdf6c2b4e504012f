#include "server/builder/base_image_check.h"

#include "server/builder/buildpack_source.h"
#include "server/docker/image_ref.h"
#include "server/registry/registry_credentials.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <regex>

namespace ms {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}


bool IsThisMachinesAddress(const std::string& host) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (i->ifa_addr->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(i->ifa_addr)->sin6_addr, text, sizeof text);
    } else {
      continue;
    }
    found = host == text;
  }
  freeifaddrs(list);
  return found;
}

// Whether a host name resolves to one of this machine's own addresses (its
// LAN address, say); loopback and link-local are ResolvesToThisHost's.
bool ResolvesToThisMachinesAddress(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return false;
  bool here = false;
  for (addrinfo* a = found; a && !here; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    if (getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) == 0) {
      here = IsThisMachinesAddress(text);
    }
  }
  freeaddrinfo(found);
  return here;
}

std::string ThisHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return Lower(name);
}

// The repository path of a reference after its domain: "shop" for
// "localhost:5000/shop:v3" and "localhost:5000/shop@sha256:...".
std::string RepoPath(const std::string& name, const std::string& domain) {
  std::string rest = domain.empty() ? name : name.substr(domain.size() + 1);
  auto at = rest.find('@');
  if (at != std::string::npos) rest.resize(at);
  auto colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find('/', colon) == std::string::npos) rest.resize(colon);
  return rest;
}

// Whether a name the engine holds (a RepoTag or RepoDigest) is a local
// registry's name for a repository other than `app`.
bool IsOtherAppsName(const std::string& name, const std::string& app, const std::string& registry) {
  std::string domain = ImageDomain(name);
  return !domain.empty() && IsLocalRegistry(domain, registry) && RepoPath(name, domain) != app;
}

}  // namespace

std::string ImageDomain(const std::string& name) {
  auto slash = name.find('/');
  if (slash == std::string::npos) return "";
  std::string first = name.substr(0, slash);
  bool domain = first.find_first_of(".:") != std::string::npos || first == "localhost" ||
                std::any_of(first.begin(), first.end(), [](unsigned char c) { return std::isupper(c); });
  return domain ? first : "";
}

bool IsLocalRegistry(const std::string& domain, const std::string& registry) {
  std::string host = RegistryHost(domain);
  if (host.empty()) return false;
  if (host == RegistryHost(registry) || host == ThisHostName() || IsThisMachinesAddress(host)) return true;
  // localhost, loopback, link-local and unspecified addresses, and names
  // resolving to them (as buildpack URLs are checked).
  return ResolvesToThisHost(host) || ResolvesToThisMachinesAddress(host);
}

Result<void> CheckBuildImage(const DockerfileImage& image, const std::string& app, const std::string& registry,
                             DockerClient& docker) {
  const std::string& name = image.name;
  auto where = fmt::format("Dockerfile line {}: {} {}", image.line, image.instruction, name);
  static const std::regex kChars("[A-Za-z0-9._:/@-]{1,255}");
  if (!std::regex_match(name, kChars) || name.find("..") != std::string::npos ||
      name.find("//") != std::string::npos || name.front() == '/' || name.back() == '/') {
    return InvalidArgument(where + " is not an image name; name an image as REPOSITORY[:TAG], e.g. debian:bookworm");
  }
  if (Lower(name) == "scratch") return {};
  static const std::regex kId("(sha256:)?[0-9a-f]{12,64}");
  if (std::regex_match(name, kId)) {
    return InvalidArgument(where +
                           " names an image by its ID; name it by repository and tag (e.g. debian:bookworm): an ID "
                           "can name another app's image on this server");
  }
  std::string domain = ImageDomain(name);
  std::string own = fmt::format("{}/{}", registry, app);
  const bool domain_is_local = !domain.empty() && IsLocalRegistry(domain, registry);
  if (domain_is_local &&
      (Lower(domain) != Lower(registry) || RepoPath(name, domain) != app)) {
    return PermissionDenied(fmt::format(
        "{} names an image in a registry on this server that is not this app's; build on public images or "
        "on this app's own ({}:vN)",
        where, own));
  }
  // The engine resolves a name from its own store first (a tag, or a prefix
  // of an image's ID): look at what it would use. One it would pull is pulled
  // first, so that what it runs at the build's start (ONBUILD) is seen too.
  auto found = docker.InspectImage(name);
  if (!found && found.error().code == ErrorCode::kNotFound && !domain_is_local) {
    auto pull = SplitPullRef(name);
    if (auto pulled = docker.PullImage(pull.repo, pull.ref, nullptr); !pulled) {
      return Failed(fmt::format("{}: cannot pull it: {}", where, pulled.error().message));
    }
    found = docker.InspectImage(name);
  }
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) return {};
    return std::unexpected(found.error());
  }
  if (!found->on_build.empty()) {
    return InvalidArgument(fmt::format(
        "{} has ONBUILD instructions ({}), which the build would run unchecked; build on an image without them",
        where, found->on_build.front()));
  }
  std::string hex = found->id.starts_with("sha256:") ? found->id.substr(7) : found->id;
  if (hex.starts_with(Lower(name))) {
    return InvalidArgument(where +
                           " names an image by a prefix of its ID; name it by repository and tag (e.g. "
                           "debian:bookworm): an ID can name another app's image on this server");
  }
  auto label = found->labels.find("mothership.app");
  bool others = label != found->labels.end() && label->second != app;
  std::vector<std::string> names = found->repo_tags;
  names.insert(names.end(), found->repo_digests.begin(), found->repo_digests.end());
  if (!names.empty() && std::all_of(names.begin(), names.end(), [&](const std::string& n) {
        return IsOtherAppsName(n, app, registry);
      })) {
    others = true;
  }
  if (others || names.empty()) {
    return PermissionDenied(fmt::format(
        "{} finds an image on this server that belongs to another app; build on public images or on this "
        "app's own ({}:vN)",
        where, own));
  }
  return {};
}

}  // namespace ms
