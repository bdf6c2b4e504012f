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
  std::string key_fingerprint{};  // the ssh key's, over ssh and in a dashboard session it signed in
  int64_t token_id = 0;           // the API token's, through the API and in a session it signed in
};

// How the audit log names the caller: "alice", or "alice (token laptop)".
inline std::string ActorName(const Caller& caller) {
  return caller.token.empty() ? caller.key_name : caller.key_name + " (token " + caller.token + ")";
}

}  // namespace ms
