#pragma once
// The `mothership` command line tool's subcommands, one file each. Each takes
// its command line (global options taken out; words[0] is the command's name)
// and returns the exit status. The CLI runs on developers' machines: it carries
// the command catalog (server/commands/catalog.h) but none of the server.

#include <string>
#include <vector>

#include "cli/target.h"

namespace ms::cli {

// The whole tool: args is argv without the program's name; returns the exit
// status (2 for a usage error, with the reason on stderr).
int RunCli(const std::vector<std::string>& args);

int RemoteAddCommand(const CommandLine& line);
int DeployCommand(const CommandLine& line);
int OpenCommand(const CommandLine& line);
int DashboardCommand(const CommandLine& line);
// Opens url in the browser ($BROWSER, else xdg-open on a desktop) or prints it.
int OpenUrl(const std::string& url);
int HelpCommand(const CommandLine& line);
// Every other command: run on the server through ssh.
int ServerCommand(const CommandLine& line);
// The words ServerCommand sends: line.words with `app` (from -a or the
// remote) put after the command's name when its usage starts with APP and it
// was not typed there already. An error says what to do when such a command
// has no app.
Result<std::vector<std::string>> ServerWords(const CommandLine& line, const std::string& app);

}  // namespace ms::cli
