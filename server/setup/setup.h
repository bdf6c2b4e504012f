#pragma once
// `mothershipd setup`: prepares a data directory for mothershipd (config.yaml, the
// SSH host key, the database, the first admin key). Running it again changes
// nothing that exists: it only adds what is missing and says what it found.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "server/common/output.h"
#include "server/common/result.h"

namespace ms {

struct SetupOptions {
  std::filesystem::path data_dir;
  std::filesystem::path admin_key;  // a .pub file
  std::string admin_name = "admin";
  std::optional<int> ssh_port;
  std::optional<std::string> domain;
  std::optional<std::string> deploy_step;  // "build" (default) or "record"
  std::optional<std::string> registry;
};

// WriteLine(out, ) receives one line of progress at a time.
Result<void> RunSetup(const SetupOptions& options, Output& out);

}  // namespace ms
