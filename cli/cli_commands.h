#pragma once
// The `mothership` command line tool's subcommands, one file each.
// Each takes the arguments after its own name and returns the exit status.

#include <string>
#include <vector>

namespace ms::cli {

int SetupCommand(const std::vector<std::string>& args);
// Run by git's pre-receive hook inside an app repository, not by people.
int HookCommand(const std::vector<std::string>& args);

}  // namespace ms::cli
