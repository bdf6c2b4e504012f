#pragma once
// `apps:info APP --json`: what the daemon tells a client about one app. The
// daemon writes it (server/commands/apps_commands.cc) and the CLI reads it
// (cli/target.h, GetAppInfo) to find an app's deploy branch and web URL; both
// go through this header. The bytes, one line:
//   {"config_vars": 2, "created_at": "...", "deploy_branch": "main",
//    "git_url": "ssh://...", "last_deploy": {"by": K, "commit": C,
//    "finished_at": F, "started_at": S, "status": "succeeded"},
//    "name": "shop", "owner": "alice", "web_url": "http://shop.example.com"}
// `last_deploy` is left out before the first deploy, `owner` when the app has
// none (made before any admin key existed; daemons before 0.2 never wrote it). Unknown members are
// ignored. Any thread may call these.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms::contracts {

struct LastDeploy {
  std::string commit{};
  std::string status{};  // running, succeeded, failed
  std::string by{};      // the key's name
  std::string started_at{};
  std::string finished_at{};
  bool operator==(const LastDeploy&) const = default;
};

struct AppInfo {
  std::string name{};
  std::string created_at{};
  std::string owner{};          // the owning key name
  std::string deploy_branch{};  // empty until the first push of main or master
  std::string git_url{};
  std::string web_url{};
  int64_t config_vars = 0;  // how many
  std::optional<LastDeploy> last_deploy{};
  bool operator==(const AppInfo&) const = default;
};

// One line, "\n" included; bytes that are not UTF-8 become U+FFFD.
std::string ToJson(const AppInfo& info);
// The app in `text`, or an error naming what is wrong. Never throws.
Result<AppInfo> ParseAppInfo(std::string_view text);

}  // namespace ms::contracts
