#pragma once
// Daemon: mothershipd's composition root. It loads the settings, opens the store,
// tidies what an interrupted run left behind, and runs the hook server and the
// SSH server until SIGTERM or SIGINT.

#include <filesystem>
#include <optional>
#include <string>

#include "server/config/settings.h"

namespace ms {

struct DaemonFlags {
  std::filesystem::path data_dir;
  std::optional<int> ssh_port;
  std::optional<std::string> listen_address;
  std::optional<std::string> domain;
  std::optional<std::filesystem::path> hooks_dir;
};

// Returns the process exit status.
int RunDaemon(const DaemonFlags& flags);

}  // namespace ms
