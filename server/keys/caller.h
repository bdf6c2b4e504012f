#pragma once
// Caller: who runs a command or a push: the name of the SSH key that
// authenticated (or that made the API token that did), its role, and the
// client's address (for the audit log).
// Plain data; any thread.

#include <string>

#include "server/store/store.h"

namespace ms {

struct Caller {
  std::string key_name{};
  Role role = Role::kDeveloper;
  std::string address{};  // "203.0.113.7:51234"; "" when not from the network
  std::string token{};    // the API token's name when it came through the API; "" over ssh
};

// How the audit log names the caller: "alice", or "alice (token laptop)".
inline std::string ActorName(const Caller& caller) {
  return caller.token.empty() ? caller.key_name : caller.key_name + " (token " + caller.token + ")";
}

}  // namespace ms
