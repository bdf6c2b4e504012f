#pragma once
// Changes of add-ons that reach apps' config: each sets or unsets an app's
// NAME_URL through a release (server/apps/release_changes.h), so the app
// restarts with it. Shared by addons:*, pg:* and apps:destroy. Any thread.

#include <functional>
#include <string>

#include "server/common/output.h"
#include "server/common/result.h"
#include "server/services.h"
#include "server/store/store.h"

namespace ms {

// One change of an add-on at a time (create, destroy, attach, detach, a new
// password, a backup, a restore): kBusy, saying so, when another is under
// way. (Not the app's lock: a change takes that for its release.)
Result<AppLock> LockAddon(Services& services, const std::string& addon);

// Sets (url "": unsets) AS_URL on app in a new release described as
// "WHAT by BY"; its version (0: the app has no release yet, config stored).
Result<int> SetAddonUrl(Services& services, const std::string& app, const std::string& as, const std::string& url,
                        const std::string& description, Output& out, const std::function<bool()>& cancelled);

// Destroys an add-on: a last backup first (unless !backup; when it fails
// nothing changes and the error says so), then its URL unset on every app it
// is attached to, its service and volume removed, its record deleted. The
// kept backup's name ("" none).
Result<std::string> DestroyAddon(Services& services, const Addon& addon, bool backup, const std::string& by,
                                 Output& out, const std::function<bool()>& cancelled);

// At daemon start: an add-on left "creating" by a daemon that stopped is
// removed (no app was given it yet), one left "destroying" is destroyed, and
// the apps of a ready one get its URL when they lack it. Logs what it does.
void ReconcileAddons(Services& services);

}  // namespace ms
