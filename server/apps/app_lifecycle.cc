#include "server/apps/app_lifecycle.h"

#include <fmt/format.h>

#include "server/keys/app_access.h"
#include "server/certs/cert_files.h"
#include "server/builder/builder.h"
#include "server/common/log.h"
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

// An app of the same name destroyed before, not all removed yet: its services
// and images go before the name is used again.
Result<void> FinishDestroyOf(Services& services, const std::string& name) {
  auto destroyed = services.store.GetDestroyedApp(name);
  if (!destroyed) return std::unexpected(destroyed.error());
  if (!*destroyed) return {};
  if (auto r = RemoveDestroyedApp(services, **destroyed); !r) {
    return Failed(fmt::format("an app named {} was destroyed and is not all removed yet ({}); try again later",
                              name, r.error().message));
  }
  return {};
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
  if (auto r = FinishDestroyOf(services, name); !r) return std::unexpected(r.error());
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

Result<std::string> DestroyApp(Services& services, const std::string& name) {
  auto lock = LockApp(services, name);
  if (!lock) return std::unexpected(lock.error());
  auto app = services.store.GetApp(name);
  if (!app) return std::unexpected(app.error());
  // The record goes first, in one transaction that also notes what is left to
  // remove: from then on the app is destroyed, whatever stops half way below.
  if (auto r = services.store.DeleteApp(name); !r) return std::unexpected(r.error());
  auto destroyed = services.store.GetDestroyedApp(name);
  if (!destroyed) return std::unexpected(destroyed.error());
  if (!*destroyed) return std::string();
  auto removed = RemoveDestroyedApp(services, **destroyed);
  // Its certificates' keys (their rows went with the app's), once the routes
  // no longer name them.
  RemoveCertFiles(services.settings.ProxyDir() / std::string(kCertsDir), app->id);
  if (!removed) {
    return fmt::format(
        "Not everything of {} could be removed yet ({}); mothershipd removes the rest when it next starts, or "
        "before an app named {} is created again.",
        name, removed.error().message, name);
  }
  return std::string();
}

Result<void> RemoveDestroyedApp(Services& services, const DestroyedApp& app) {
  if (Engine* engine = services.engine) {
    if (auto r = engine->proxy.WriteRoutes(); !r) return r;
    if (auto r = engine->proxy.Detach(app.name); !r) return r;
    if (auto r = engine->runtime.Destroy(app.name); !r) return r;
    engine->builder.Forget(app.name, app.versions);
  }
  if (auto r = services.repos.Remove(app.name); !r) return r;
  return services.store.ForgetDestroyedApp(app.name);
}

void FinishDestroyedApps(Services& services) {
  auto list = services.store.ListDestroyedApps();
  if (!list) {
    LogWarn("cannot read the apps destroyed before the daemon stopped: {}", list.error().message);
    return;
  }
  for (const auto& app : *list) {
    if (auto r = RemoveDestroyedApp(services, app); !r) {
      LogWarn("cannot yet remove what is left of the destroyed app {}: {}", app.name, r.error().message);
    } else {
      LogInfo("removed what was left of the destroyed app {}", app.name);
    }
  }
}

}  // namespace ms
