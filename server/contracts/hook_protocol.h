#pragma once
// The hook protocol: how `mothership hook pre-receive`, started by git during
// a push, hands the pushed refs to mothershipd over the hook socket and gets
// the deploy's output back. Both ends (cli/hook_command.cc and
// server/git/hook_server.cc) go through this header. On the wire, one JSON
// object per line:
//   hook -> daemon, once:  {"objects_dir": D, "token": T,
//                           "updates": [{"new": N, "old": O, "ref": R}]}
//   daemon -> hook:        {"out": "text"} per write of the deploy's output,
//                          then {"exit": STATUS}, the hook's exit status.
// `objects_dir` (git's quarantine directory) may be left out. Any thread may
// call these.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "server/common/result.h"

namespace ms::contracts {

struct HookRefUpdate {
  std::string old_sha{};
  std::string new_sha{};
  std::string ref{};  // "refs/heads/main"
  bool operator==(const HookRefUpdate&) const = default;
};

struct HookRequest {
  std::string token{};  // the push's, from MOTHERSHIP_PUSH_TOKEN
  std::vector<HookRefUpdate> updates{};
  std::string objects_dir{};  // GIT_QUARANTINE_PATH; empty: none
  bool operator==(const HookRequest&) const = default;
};

// A piece of the deploy's output, to print as it is.
struct HookOut {
  std::string text{};
  bool operator==(const HookOut&) const = default;
};
// The last message: the hook exits with this status (0 accepts the push).
struct HookExit {
  int status = 0;
  bool operator==(const HookExit&) const = default;
};
using HookMessage = std::variant<HookOut, HookExit>;

// One line each, "\n" included; bytes that are not UTF-8 become U+FFFD.
std::string ToJson(const HookRequest& request);
std::string ToJson(const HookMessage& message);

// One line (without its "\n"), or an error naming what is wrong. Never throw.
Result<HookRequest> ParseHookRequest(std::string_view line);
Result<HookMessage> ParseHookMessage(std::string_view line);

}  // namespace ms::contracts
