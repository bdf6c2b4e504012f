#include "server/apps/app_lifecycle.h"

#include <fmt/format.h>

#include "server/keys/app_access.h"
#include "server/builder/builder.h"
#include "server/common/names.h"
#include "server/proxy/proxy_service.h"
#include "server/runtime/runtime.h"

namespace ms {
namespace {

Result<AppLock> LockApp(Services& services, const std::string& name) {
  AppLock lock = services.locks.TryAcquire(name);
  if (!lock) {
    return Busy(fmt::format("a push to '{}' is in progress; try again when it has finished", name));
  }
  return lock;
}

}  // namespace

Result<AppLock> WaitForApp(Services& services, const std::string& name, const std::function<bool()>& cancelled) {
  AppLock lock = services.locks.Acquire(name, cancelled ? cancelled : [] { return false; });
  if (!lock) return Busy(fmt::format("gave up waiting for the push to {} in progress", name));
  return lock;
}

Result<App> CreateApp(Services& services, const std::string& name, const Caller& caller) {
  if (auto r = ValidateAppName(name); !r) return std::unexpected(r.error());
  auto lock = LockApp(services, name);
  if (!lock) return std::unexpected(lock.error());
  if (auto r = CheckNewAppName(services, caller, name); !r) return std::unexpected(r.error());
  if (auto r = services.repos.Create(name); !r) return std::unexpected(r.error());
  auto app = services.store.CreateApp(name, caller.key_name);
  if (!app) (void)services.repos.Remove(name);
  return app;
}

Result<void> RenameApp(Services& services, const std::string& old_name, const std::string& new_name,
                       const Caller& caller) {
  if (auto r = ValidateAppName(new_name); !r) return r;
  if (old_name == new_name) return InvalidArgument("the new name is the same as the old one");
  auto old_lock = LockApp(services, old_name);
  if (!old_lock) return std::unexpected(old_lock.error());
  auto new_lock = LockApp(services, new_name);
  if (!new_lock) return std::unexpected(new_lock.error());
  if (auto app = services.store.GetApp(old_name); !app) return std::unexpected(app.error());
  if (auto r = CheckNewAppName(services, caller, new_name); !r) return r;
  if (services.engine) {
    auto latest = services.store.LatestRelease(old_name);
    if (!latest) return std::unexpected(latest.error());
    if (*latest) {
      return Failed(fmt::format(
          "{} is deployed; renaming a running app is not supported yet. Create {} and push to it, then "
          "apps:destroy {}",
          old_name, new_name, old_name));
    }
  }
  if (auto r = services.repos.Rename(old_name, new_name); !r) return r;
  if (auto r = services.store.RenameApp(old_name, new_name); !r) {
    (void)services.repos.Rename(new_name, old_name);
    return r;
  }
  return {};
}

Result<void> DestroyApp(Services& services, const std::string& name) {
  auto lock = LockApp(services, name);
  if (!lock) return std::unexpected(lock.error());
  if (auto app = services.store.GetApp(name); !app) return std::unexpected(app.error());
  // What runs goes first: a failure there leaves the app whole, to destroy again.
  auto releases = services.store.ListReleases(name, 1000000);
  if (!releases) return std::unexpected(releases.error());
  if (Engine* engine = services.engine) {
    if (auto r = engine->proxy.Detach(name); !r) return r;
    if (auto r = engine->runtime.Destroy(name); !r) return r;
    std::vector<int> versions;
    for (const auto& r : *releases) versions.push_back(r.version);
    engine->builder.Forget(name, versions);
  }
  if (auto r = services.store.DeleteApp(name); !r) return r;
  if (services.engine) (void)services.engine->proxy.WriteRoutes();
  // A repository left behind by a failure here is moved aside at the next start.
  return services.repos.Remove(name);
}

}  // namespace ms
