#pragma once
// Caller: who runs a command or a push: the name of the SSH key that
// authenticated and its role. Plain data; any thread.

#include <string>

#include "server/store/store.h"

namespace ms {

struct Caller {
  std::string key_name;
  Role role = Role::kDeveloper;
};

}  // namespace ms
