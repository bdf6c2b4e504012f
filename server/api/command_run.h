#pragma once
// RunAs: runs one command line of the catalog as a caller, through the same
// Router as ssh (roles, app access, audit log), with stdin from a string and
// stdout and stderr captured (at most kMaxCommandOutput bytes each; a command
// that writes more is cancelled and its output ends with a note). Blocks until
// the command ends; any thread.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/common/output.h"
#include "server/common/result.h"
#include "server/keys/caller.h"
#include "server/services.h"

namespace ms {

constexpr size_t kMaxCommandOutput = 16 * 1024 * 1024;

struct CommandRun {
  int exit_status = 0;
  std::string out;
  std::string err;
  std::optional<Error> error;  // why it failed (code and message), when it did
};

CommandRun RunAs(Services& services, const Caller& caller, const std::vector<std::string>& argv,
                 std::string stdin_text, std::function<bool()> cancelled);

// The same with no stdin, its output going to `out` and `err` as it is written
// (a followed log); returns the exit status, and *failure when it fails.
int RunStreaming(Services& services, const Caller& caller, const std::vector<std::string>& argv, Output& out,
                 Output& err, std::function<bool()> cancelled, Error* failure);

}  // namespace ms
