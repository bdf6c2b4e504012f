#pragma once
// DeployStep: what a push of an app's deploy branch runs before git accepts it.
// Output goes to the pusher line by line as it is written; an error rejects the
// push and leaves the branch where it was. Implementations must be safe to call
// for different apps at once (pushes to one app are already serialised).

#include <filesystem>
#include <cstdint>
#include <functional>
#include <string>

#include "server/common/output.h"
#include "server/common/result.h"

namespace ms {

struct DeployRequest {
  std::string app;
  std::string commit;  // full sha
  std::string ref;     // refs/heads/main
  std::string key_name;
  // Where git keeps the pushed objects until the push is accepted.
  std::filesystem::path objects_dir;
  // True once the pusher is gone: a push still waiting for a build slot then
  // gives up (one already building goes on to the end, as on Heroku).
  std::function<bool()> client_gone;
  // Called with the deploy's id once it is recorded (a deploy from the API
  // answers with it before the build ends). May be empty.
  std::function<void(int64_t)> on_started{};
};

class DeployStep {
 public:
  virtual ~DeployStep() = default;
  virtual Result<void> Run(const DeployRequest& request, Output& out) = 0;
};

}  // namespace ms
