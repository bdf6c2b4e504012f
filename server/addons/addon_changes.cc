#include "server/addons/addon_changes.h"

#include <fmt/format.h>

#include "server/addons/addons.h"
#include "server/addons/pg_backups.h"
#include "server/addons/postgres_service.h"
#include "server/apps/release_changes.h"
#include "server/common/log.h"

namespace ms {

Result<AppLock> LockAddon(Services& services, const std::string& addon) {
  // "addon:" cannot begin an app's name: the two never share a lock.
  AppLock lock = services.locks.TryAcquire("addon:" + addon);
  if (!lock) {
    return Busy(fmt::format("another change of {} is under way (a backup, a restore, an attach ...); try again "
                            "when it ends",
                            addon));
  }
  return lock;
}

Result<int> SetAddonUrl(Services& services, const std::string& app, const std::string& as, const std::string& url,
                        const std::string& description, Output& out, const std::function<bool()>& cancelled) {
  auto config = services.store.GetConfig(app);
  if (!config) return std::unexpected(config.error());
  ConfigVars next = *config;
  if (url.empty()) {
    next.erase(as + "_URL");
  } else {
    next[as + "_URL"] = url;
  }
  return ChangeConfig(services, app, next, description, out, cancelled);
}

Result<std::string> DestroyAddon(Services& services, const Addon& addon, bool backup, const std::string& by,
                                 Output& out, const std::function<bool()>& cancelled) {
  if (!services.engine) return Failed("this server records deploys only (deploy_step: record)");
  Addons& addons = services.engine->addons;
  auto lock = LockAddon(services, addon.name);
  if (!lock) return std::unexpected(lock.error());
  std::string kept;
  if (backup && addon.kind == "postgres") {  // (a Redis has no backups: its data goes with it)
    PgBackups backups(services.settings, services.store, addons);
    auto last = backups.Capture(addon, "addons:destroy by " + by, out, cancelled);
    if (!last) {
      return Failed(fmt::format("{} was not destroyed: its last backup failed ({}); add --no-backup to destroy it "
                                "without one",
                                addon.name, last.error().message));
    }
    kept = BackupName(last->id);
  }
  // From here it goes, whatever stops it: the daemon finishes it at start.
  if (auto r = services.store.SetAddonState(addon.name, "destroying"); !r) return std::unexpected(r.error());
  auto attachments = services.store.AttachmentsOf(addon.name);
  if (!attachments) return std::unexpected(attachments.error());
  for (const auto& at : *attachments) {
    auto release = SetAddonUrl(services, at.app, at.name, "", fmt::format("Detach {} by {}", addon.name, by), out,
                               cancelled);
    if (!release) {
      // Nothing is removed yet: it stays, and says why it did not go.
      (void)services.store.SetAddonState(addon.name, "ready");
      return Failed(fmt::format("{} was not destroyed: {} could not be released without its {}_URL ({}); it is "
                                "still there",
                                addon.name, at.app, at.name, release.error().message));
    }
  }
  if (auto r = addons.Remove(addon); !r) return std::unexpected(r.error());
  if (auto r = services.store.DeleteAddon(addon.name); !r) return std::unexpected(r.error());
  return kept;
}

void ReconcileAddons(Services& services) {
  if (!services.engine) return;
  auto addons = services.store.ListAddons();
  if (!addons) {
    LogWarn("cannot read the add-ons: {}", addons.error().message);
    return;
  }
  NullOutput quiet;
  for (const auto& addon : *addons) {
    if (addon.state == "creating") {
      // The daemon stopped while it made it: nothing was given to an app yet.
      LogWarn("removing the add-on {}, which was being made when the daemon stopped", addon.name);
      if (auto r = services.engine->addons.Remove(addon); !r) {
        LogWarn("cannot remove {}: {}", addon.name, r.error().message);
        continue;
      }
      (void)services.store.DeleteAddon(addon.name);
    } else if (addon.state == "destroying") {
      LogWarn("finishing the destruction of the add-on {}", addon.name);
      if (auto r = DestroyAddon(services, addon, false, "the daemon", quiet, nullptr); !r) {
        LogWarn("cannot finish destroying {}: {}", addon.name, r.error().message);
      }
    } else {
      // Ready: it runs on its apps' networks, and they have its URL (the
      // daemon may have stopped during an attach, or between making it and
      // the release that gives the URL).
      if (auto r = services.engine->addons.Ensure(addon, quiet); !r) {
        LogWarn("cannot start {} on the networks of its apps: {}", addon.name, r.error().message);
      }
      auto attachments = services.store.AttachmentsOf(addon.name);
      if (!attachments) continue;
      for (const auto& at : *attachments) {
        auto config = services.store.GetConfig(at.app);
        if (!config) continue;
        auto it = config->find(at.name + "_URL");
        if (it != config->end() && it->second == AddonUrl(addon)) continue;
        LogWarn("giving {} its {}_URL of {} (the daemon stopped before)", at.app, at.name, addon.name);
        if (auto r = SetAddonUrl(services, at.app, at.name, AddonUrl(addon),
                                 fmt::format("Attach {} as {}_URL by the daemon", addon.name, at.name), quiet,
                                 nullptr);
            !r) {
          LogWarn("cannot give {} its {}_URL: {}", at.app, at.name, r.error().message);
        }
      }
    }
  }
}

}  // namespace ms
