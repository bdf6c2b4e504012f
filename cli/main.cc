// mothership: the Mothership command line tool. On the server it prepares the data
// directory (`setup`); git runs it as the repositories' hook (`hook`).

#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_commands.h"

namespace {

const char kUsage[] =
    "usage: mothership COMMAND [ARGS...]\n"
    "\n"
    "Server commands:\n"
    "  setup --data-dir DIR --admin-key KEY.pub [--ssh-port N] [--domain D]\n"
    "                 prepare DIR for mothershipd (safe to run again)\n"
    "  version        print the version\n"
    "\n"
    "Everything else runs on the server over SSH: ssh -p 2222 git@HOST help\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "setup") return ms::cli::SetupCommand(rest);
  if (command == "hook") return ms::cli::HookCommand(rest);
  if (command == "version" || command == "--version") {
    std::printf("mothership %s\n", MOTHERSHIP_VERSION);
    return 0;
  }
  std::fprintf(stderr, "mothership: '%s' is not a command.\n%s", command.c_str(), kUsage);
  return 2;
}
