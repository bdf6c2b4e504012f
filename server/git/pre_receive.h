#pragma once
// What happens when git's pre-receive hook reports a push: decide which refs are
// deployed (the app's deploy branch; main or master fixes it on the first push),
// create an app that a first push of main or master brings, run the deploy step,
// and accept or reject the whole push. Runs on a hook-server thread while the
// pushing connection holds the app's lock.

#include <filesystem>
#include <string>
#include <vector>

#include "server/common/output.h"
#include "server/keys/caller.h"
#include "server/git/push_registry.h"
#include "server/services.h"

namespace ms {

struct RefUpdate {
  std::string old_sha;
  std::string new_sha;
  std::string ref;
};

// Returns the hook's exit status: 0 accepts the push, anything else rejects it.
int RunPreReceive(Services& services, const PushContext& push,
                  const std::vector<RefUpdate>& updates,
                  const std::filesystem::path& objects_dir, Output& out);

}  // namespace ms
