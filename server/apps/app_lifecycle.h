#pragma once

#include <functional>
// Creating, renaming and destroying an app keeps its database row and its git
// repository in step, under the app's lock: either both change or neither does.
// Any thread.

#include <string>

#include "server/common/result.h"
#include "server/keys/caller.h"
#include "server/services.h"

namespace ms {

// The caller owns the new app. Errors: kInvalidArgument (bad or reserved name),
// kAlreadyExists (app_access.h: CheckNewAppName), kBusy (a push is running).
Result<App> CreateApp(Services& services, const std::string& name, const Caller& caller);
// The new name is checked as CreateApp checks it.
Result<void> RenameApp(Services& services, const std::string& old_name, const std::string& new_name,
                       const Caller& caller);
// Deletes the app's record (the point of no return), then removes its
// services, network, images and repository. A failure in that removal leaves
// the app destroyed; the answer then says what is left, which
// FinishDestroyedApps (at start) or a CreateApp of the name removes.
Result<std::string> DestroyApp(Services& services, const std::string& name);
Result<void> RemoveDestroyedApp(Services& services, const DestroyedApp& app);
// At start: removes what is left of apps destroyed before the daemon stopped.
void FinishDestroyedApps(Services& services);
// Waits for the app's lock (a push in progress) until cancelled() says stop.
Result<AppLock> WaitForApp(Services& services, const std::string& name, const std::function<bool()>& cancelled);

}  // namespace ms
