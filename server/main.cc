// mothershipd: the Mothership daemon (SSH front door, git pushes, commands),
// and the server's administration: `mothershipd setup` prepares a data
// directory; git runs `mothershipd hook pre-receive` in app repositories.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "server/common/numbers.h"
#include "server/daemon.h"
#include "server/git/hook_command.h"
#include "server/setup/setup_command.h"

namespace {

const char kUsage[] =
    "usage: mothershipd [--data-dir DIR] [--ssh-port N] [--api-port N] [--listen ADDR] [--domain D]\n"
    "                   [--hooks-dir DIR]\n"
    "       mothershipd setup --data-dir DIR --admin-key KEY.pub [--ssh-port N] [--domain D] ...\n"
    "       mothershipd hook pre-receive   (run by git in app repositories, not by people)\n"
    "Serves Mothership from DIR (default $MOTHERSHIP_DATA_DIR or /var/lib/mothership),\n"
    "which `mothershipd setup` prepares (safe to run again; `mothershipd setup --help`).\n"
    "Flags override DIR/config.yaml.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    std::string command = argv[1];
    std::vector<std::string> rest(argv + 2, argv + argc);
    if (command == "setup") return ms::SetupCommand(rest);
    if (command == "hook") return ms::HookCommand(rest);
  }
  ms::DaemonFlags flags;
  const char* env_dir = std::getenv("MOTHERSHIP_DATA_DIR");
  flags.data_dir = env_dir ? env_dir : "/var/lib/mothership";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mothershipd: %s needs a value\n%s", arg.c_str(), kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--data-dir") {
      flags.data_dir = value();
    } else if (arg == "--ssh-port") {
      std::string v = value();
      flags.ssh_port = ms::ParsePort(v);
      if (!flags.ssh_port) {
        std::fprintf(stderr, "mothershipd: '%s' is not a port number (0-65535)\n", v.c_str());
        return 2;
      }
    } else if (arg == "--api-port") {
      // The HTTP API's loopback port: 0 picks a free one; -1 none.
      std::string v = value();
      flags.api_port = v == "-1" ? std::optional<int>(-1) : ms::ParsePort(v);
      if (!flags.api_port) {
        std::fprintf(stderr, "mothershipd: '%s' is not a port number (0-65535, or -1 for none)\n", v.c_str());
        return 2;
      }
    } else if (arg == "--listen") {
      flags.listen_address = value();
    } else if (arg == "--domain") {
      flags.domain = value();
    } else if (arg == "--hooks-dir") {
      flags.hooks_dir = value();
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("mothershipd %s\n", MOTHERSHIP_VERSION);
      return 0;
    } else {
      std::fprintf(stderr, "mothershipd: unknown argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  return ms::RunDaemon(flags);
}
