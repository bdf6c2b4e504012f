#include "server/addons/addon_changes.h"

#include <fmt/format.h>

#include "server/addons/addons.h"
#include "server/addons/pg_backups.h"
#include "server/apps/release_changes.h"

namespace ms {

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
  std::string kept;
  if (backup) {
    PgBackups backups(services.settings, services.store, addons);
    auto last = backups.Capture(addon, "addons:destroy by " + by, out, cancelled);
    if (!last) {
      return Failed(fmt::format("{} was not destroyed: its last backup failed ({}); add --no-backup to destroy it "
                                "without one",
                                addon.name, last.error().message));
    }
    kept = BackupName(last->id);
  }
  auto attachments = services.store.AttachmentsOf(addon.name);
  if (!attachments) return std::unexpected(attachments.error());
  for (const auto& at : *attachments) {
    auto release = SetAddonUrl(services, at.app, at.name, "", fmt::format("Detach {} by {}", addon.name, by), out,
                               cancelled);
    if (!release) return std::unexpected(release.error());
  }
  if (auto r = addons.Remove(addon); !r) return std::unexpected(r.error());
  if (auto r = services.store.DeleteAddon(addon.name); !r) return std::unexpected(r.error());
  return kept;
}

}  // namespace ms
