#include "server/apps/release_changes.h"

#include <fmt/format.h>

#include "server/apps/app_lifecycle.h"
#include "server/common/output.h"
#include "server/runtime/runtime.h"

namespace ms {
namespace {

Result<int> RollOut(Services& services, const std::string& app, Release release, Output& out) {
  auto version = services.store.NextReleaseVersion(app);
  if (!version) return std::unexpected(version.error());
  release.version = *version;
  release.deploy_id = 0;
  if (auto r = services.engine->runtime.Deploy(app, release, out); !r) {
    return Failed(fmt::format("{}\nNothing was changed: {} still runs its previous release", r.error().message, app));
  }
  if (auto r = services.store.CreateRelease(app, release); !r) return std::unexpected(r.error());
  return release.version;
}

}  // namespace

Result<int> ChangeConfig(Services& services, const std::string& app, const ConfigVars& config,
                         const std::string& description, Output& out, const std::function<bool()>& cancelled) {
  auto lock = WaitForApp(services, app, cancelled);
  if (!lock) return std::unexpected(lock.error());
  auto latest = services.engine ? services.store.LatestRelease(app) : Result<std::optional<Release>>();
  if (!latest) return std::unexpected(latest.error());
  if (!*latest) {
    // Nothing runs yet: the config waits for the first deploy.
    auto current = services.store.GetConfig(app);
    if (!current) return std::unexpected(current.error());
    std::vector<std::string> gone;
    for (const auto& [k, v] : *current) {
      if (!config.contains(k)) gone.push_back(k);
    }
    if (auto r = services.store.SetConfig(app, config); !r) return std::unexpected(r.error());
    if (!gone.empty()) {
      auto r = services.store.UnsetConfig(app, gone);
      if (!r) return std::unexpected(r.error());
    }
    return 0;
  }
  Release release = **latest;
  release.config = config;
  release.description = description;
  return RollOut(services, app, release, out);
}

Result<int> Rollback(Services& services, const std::string& app, int version, const std::string& by, Output& out,
                     const std::function<bool()>& cancelled) {
  if (!services.engine) return Failed("rollback needs the Docker engine (deploy_step: build)");
  auto lock = WaitForApp(services, app, cancelled);
  if (!lock) return std::unexpected(lock.error());
  auto latest = services.store.LatestRelease(app);
  if (!latest) return std::unexpected(latest.error());
  if (!*latest) return InvalidArgument(fmt::format("{} has no releases yet: git push it first", app));
  if (version == 0) version = (*latest)->version - 1;
  if (version < 1) return InvalidArgument(fmt::format("{} has only one release; there is nothing to roll back to", app));
  auto target = services.store.GetRelease(app, version);
  if (!target) return std::unexpected(target.error());
  Release release = *target;
  release.description = fmt::format("Rollback to v{} by {}", version, by);
  out.Write(fmt::format("-----> Rolling back {} to v{} ({})\n", app, version, target->description));
  return RollOut(services, app, release, out);
}

}  // namespace ms
