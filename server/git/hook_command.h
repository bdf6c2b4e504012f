#pragma once
// `mothershipd hook pre-receive`: run by git (hooks/pre-receive) inside an app's
// repository while it receives a push, not by people. It hands the ref updates
// to the daemon over the hook socket (HookServer) and relays the deploy's output.

#include <string>
#include <vector>

namespace ms {

// args: the words after `hook`. Returns the exit status that accepts (0) or
// rejects the push; 2 for a usage error.
int HookCommand(const std::vector<std::string>& args);

}  // namespace ms
