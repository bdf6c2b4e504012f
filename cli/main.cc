// mothership: the Mothership command line tool.
// - On a developer's machine: every server command through the system ssh
//   client, the app taken from the repository's `mothership` remote or -a
//   (cli/server_command.cc), plus remote:add, deploy, open and help.
// - On the server: `setup` prepares a data directory; git runs it as the
//   repositories' hook (`hook`).

#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "setup") return ms::cli::SetupCommand({args.begin() + 1, args.end()});
  if (!args.empty() && args[0] == "hook") return ms::cli::HookCommand({args.begin() + 1, args.end()});
  if (!args.empty() && (args[0] == "version" || args[0] == "--version")) {
    std::printf("mothership %s\n", MOTHERSHIP_VERSION);
    return 0;
  }
  auto line = ms::cli::ParseCommandLine(args);
  if (!line) {
    std::fprintf(stderr, "mothership: %s (see mothership help)\n", line.error().message.c_str());
    return 2;
  }
  if (line->words.empty() || line->words[0] == "help" || line->words[0] == "--help" || line->words[0] == "-h") {
    if (line->words.empty() && !line->app && !line->server) {
      ms::cli::HelpCommand(*line);
      return 2;
    }
    return ms::cli::HelpCommand(*line);
  }
  const std::string& command = line->words[0];
  if (command == "remote:add") return ms::cli::RemoteAddCommand(*line);
  if (command == "deploy") return ms::cli::DeployCommand(*line);
  if (command == "open") return ms::cli::OpenCommand(*line);
  return ms::cli::ServerCommand(*line);
}
