// mothershipd setup: prepare a data directory on the server.

#include <cstdio>
#include <cstdlib>

#include "server/setup/setup_command.h"

#include "server/common/numbers.h"
#include "server/setup/setup.h"

namespace ms {
namespace {

const char kUsage[] =
    "usage: mothershipd setup --data-dir DIR --admin-key KEY.pub [--ssh-port N] [--domain D]\n"
    "                         [--admin-name NAME] [--deploy-step build|record] [--registry HOST:PORT]\n";

}  // namespace

int SetupCommand(const std::vector<std::string>& args) {
  SetupOptions options;
  if (const char* dir = std::getenv("MOTHERSHIP_DATA_DIR")) options.data_dir = dir;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "mothershipd setup: '%s' needs a value\n%s", arg.c_str(), kUsage);
      return 2;
    }
    const std::string& value = args[++i];
    if (arg == "--data-dir") {
      options.data_dir = value;
    } else if (arg == "--admin-key") {
      options.admin_key = value;
    } else if (arg == "--admin-name") {
      options.admin_name = value;
    } else if (arg == "--domain") {
      options.domain = value;
    } else if (arg == "--deploy-step") {
      options.deploy_step = value;
    } else if (arg == "--registry") {
      options.registry = value;
    } else if (arg == "--ssh-port") {
      options.ssh_port = ParsePort(value);
      if (!options.ssh_port) {
        std::fprintf(stderr, "mothershipd setup: '%s' is not a port number (0-65535)\n", value.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "mothershipd setup: unknown argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (options.data_dir.empty() || options.admin_key.empty()) {
    std::fprintf(stderr, "mothershipd setup: --data-dir and --admin-key are required\n%s", kUsage);
    return 2;
  }
  LambdaOutput progress([](std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  });
  auto result = RunSetup(options, progress);
  if (!result) {
    std::fprintf(stderr, "mothershipd setup: %s\n", result.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace ms
