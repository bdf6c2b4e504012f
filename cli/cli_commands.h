#pragma once
// The `mothership` command line tool's subcommands, one file each.
// Each takes its command line (global options taken out; words[0] is the
// command's name) or the arguments after its name, and returns the exit status.

#include <string>
#include <vector>

#include "cli/target.h"

namespace ms::cli {

// On the server.
int SetupCommand(const std::vector<std::string>& args);
// Run by git's pre-receive hook inside an app repository, not by people.
int HookCommand(const std::vector<std::string>& args);

// On developers' machines.
int RemoteAddCommand(const CommandLine& line);
int DeployCommand(const CommandLine& line);
int OpenCommand(const CommandLine& line);
int HelpCommand(const CommandLine& line);
// Every other command: run on the server through ssh.
int ServerCommand(const CommandLine& line);

}  // namespace ms::cli
