// The mothership tool's dispatch, on a developer's machine: every server
// command through the system ssh client, the app taken from the repository's
// `mothership` remote or -a (cli/server_command.cc), plus remote:add, deploy,
// open, help and version. The server's own administration (setup, the git
// hook) is mothershipd's; asked here, it says so.

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.h"
#include "cli/cli_commands.h"

namespace ms::cli {
namespace {

// Commands of earlier versions that now run on the server as `mothershipd NAME`.
bool IsDaemonCommand(std::string_view name) { return name == "setup" || name == "hook"; }

}  // namespace

int RunCli(const std::vector<std::string>& args) {
  if (!args.empty() && IsDaemonCommand(args[0])) {
    std::fprintf(stderr,
                 "mothership %s: server administration is part of the daemon now; on the server, "
                 "run: mothershipd %s ...\n(mothershipd --help lists it; this tool only talks to a "
                 "server)\n",
                 args[0].c_str(), args[0].c_str());
    return 2;
  }
  if (!args.empty() && (args[0] == "version" || args[0] == "--version")) {
    std::printf("mothership %s\n", MOTHERSHIP_VERSION);
    return 0;
  }
  auto line = ParseCommandLine(args);
  if (!line) {
    std::fprintf(stderr, "mothership: %s (see mothership help)\n", line.error().message.c_str());
    return 2;
  }
  if (line->words.empty() || line->words[0] == "help" || line->words[0] == "--help" ||
      line->words[0] == "-h") {
    if (line->words.empty() && !line->app && !line->server) {
      HelpCommand(*line);
      return 2;
    }
    return HelpCommand(*line);
  }
  const std::string& command = line->words[0];
  if (command == "remote:add") return RemoteAddCommand(*line);
  if (command == "deploy") return DeployCommand(*line);
  if (command == "open") return OpenCommand(*line);
  if (command == "dashboard") return DashboardCommand(*line);
  if (command == "logs") {
    // With a token, through the HTTP API.
    if (auto target = FindTarget(*line, true); target) {
      if (auto api = ApiFromEnv(target->server)) {
        std::vector<std::string> rest(line->words.begin() + 1, line->words.end());
        if (!rest.empty() && rest[0] == target->app) rest.erase(rest.begin());
        return ApiLogs(*api, target->app, rest);
      }
    }
  }
  return ServerCommand(*line);
}

}  // namespace ms::cli
