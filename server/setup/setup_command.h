#pragma once
// `mothershipd setup --data-dir DIR --admin-key KEY.pub ...`: the command line of
// RunSetup (server/setup/setup.h), run by an administrator on the server.

#include <string>
#include <vector>

namespace ms {

// args: the words after `setup`. Prints setup's progress on stdout; returns the
// exit status (2 for a usage error, 1 when setup fails, with the reason on stderr).
int SetupCommand(const std::vector<std::string>& args);

}  // namespace ms
