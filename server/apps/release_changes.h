#pragma once
// Releases that do not come from a build: a config change (config:set,
// config:unset) and a rollback. Each makes a new release from the current one
// (or vN's image and config for a rollback, as Heroku does), rolls it out, and
// records it only once it runs; on failure the app's config and release stay
// as they were. Apps never deployed, or daemons without Docker, only store
// the config. Both hold the app's lock, so they wait for a push in progress.

#include <functional>
#include <string>

#include "server/common/output.h"
#include "server/common/result.h"
#include "server/services.h"
#include "server/store/store.h"

namespace ms {

// Makes `config` the app's config; returns the new release's version (0: none made).
Result<int> ChangeConfig(Services& services, const std::string& app, const ConfigVars& config,
                         const std::string& description, Output& out, const std::function<bool()>& cancelled);

// A new release with vN's image, config and process types (version 0: the one
// before the current release). Returns the new version.
Result<int> Rollback(Services& services, const std::string& app, int version, const std::string& by, Output& out,
                     const std::function<bool()>& cancelled);

}  // namespace ms
