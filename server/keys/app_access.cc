#include "server/keys/app_access.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "server/common/names.h"
#include "server/setup/registry.h"

namespace ms {

Result<void> CheckAppAccess(Store& store, const Caller& caller, const std::string& app, AppNeed need) {
  if (caller.role == Role::kAdmin) {
    if (auto found = store.GetApp(app); !found) return std::unexpected(found.error());
    return {};
  }
  auto role = store.RoleIn(app, caller.key_name);  // NoSuchApp when there is none
  if (!role) return std::unexpected(role.error());
  if (*role == AppRole::kNone) return NotFound(NoSuchApp(app));
  if (need == AppNeed::kOwner && *role != AppRole::kOwner) {
    auto found = store.GetApp(app);
    return PermissionDenied(fmt::format("only the owner of {} ({}) or an admin may do that; see: access {}", app,
                              found ? found->owner : "?", app));
  }
  return {};
}

std::vector<std::string> ReservedAppNames(const Settings& settings) {
  std::vector<std::string> names = {"mothership", "api", "www", "registry", "proxy", "admin", "dashboard"};
  // A platform service or container "PREFIX-..." would collide with app PREFIX's
  // process type "...".
  for (const std::string& platform : {settings.proxy_service, std::string(kRegistryContainer)}) {
    std::string prefix = platform.substr(0, platform.find('-'));
    if (std::find(names.begin(), names.end(), prefix) == names.end()) names.push_back(prefix);
    if (std::find(names.begin(), names.end(), platform) == names.end()) names.push_back(platform);
  }
  return names;
}

Result<void> NeedKeyName(Store& store, const std::string& name) {
  auto keys = store.KeysNamed(name);
  if (!keys) return std::unexpected(keys.error());
  if (keys->empty()) {
    return NotFound(fmt::format("no key is named '{}'; an admin adds it with keys:add {} < KEY.pub",
                                name.substr(0, 64), name.substr(0, 64)));
  }
  return {};
}

std::string NotAvailable(const std::string& name) {
  return fmt::format("name '{}' is not available; choose another", name);
}

Result<void> CheckNewAppName(Services& services, const Caller& caller, const std::string& name) {
  if (auto r = ValidateAppName(name); !r) return r;
  auto reserved = ReservedAppNames(services.settings);
  if (std::find(reserved.begin(), reserved.end(), name) != reserved.end()) {
    return InvalidArgument(fmt::format("'{}' is reserved for the platform (reserved: {}); choose another", name,
                                       fmt::join(reserved, ", ")));
  }
  if (services.store.GetApp(name)) {
    if (CheckAppAccess(services.store, caller, name, AppNeed::kMember)) {
      return AlreadyExists(fmt::format("app '{}' already exists", name));
    }
    return AlreadyExists(NotAvailable(name));
  }
  auto holder = services.store.AppOfDomain(fmt::format("{}.{}", name, services.settings.domain));
  if (!holder) return std::unexpected(holder.error());
  if (*holder) return AlreadyExists(NotAvailable(name));
  return {};
}

Result<void> CheckNewDomain(Services& services, const PublicSuffixList& suffixes, const std::string& app,
                            const std::string& host) {
  bool wildcard = host.starts_with("*.");
  std::string base = wildcard ? host.substr(2) : host;
  if (suffixes.IsPublicSuffix(base)) {
    return InvalidArgument(fmt::format(
        "{} {} a public suffix: anyone may register names under it. Add a domain you own, like example.{}", host,
        wildcard ? "covers every domain under " + base + ", which is" : "is", base));
  }
  if (auto platform = NormalizeDomain(services.settings.PlatformHost()); platform && host == *platform) {
    return InvalidArgument(fmt::format(
        "{} is this server's own address: the proxy sends it to Mothership's API (api_host), never to an app", host));
  }
  const std::string& domain = services.settings.domain;
  if (base == domain) {
    return InvalidArgument(fmt::format("{} is this server's own domain; apps answer at APP.{}", host, domain));
  }
  if (host.ends_with("." + domain)) {
    std::string rest = host.substr(0, host.size() - domain.size() - 1);  // "www.shop", "*.shop", "shop"
    std::string label = rest.substr(rest.rfind('.') + 1);
    if (rest == app) {
      return InvalidArgument(fmt::format("{} is {}'s own address already; every app answers at APP.{}", host, app,
                                         domain));
    }
    if (label != app) {
      if (services.store.GetApp(label)) return AlreadyExists(fmt::format("{} is not available", host));
      return InvalidArgument(fmt::format(
          "{} is under this server's domain, where a host belongs to the app it names; {} may add names under "
          "{}.{} (like www.{}.{})",
          host, app, app, domain, app, domain));
    }
  }
  return {};  // a host another app has: Store::AddDomain refuses it, under its lock
}

}  // namespace ms
