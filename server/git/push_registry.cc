#include "server/git/push_registry.h"

#include <fmt/format.h>

#include <random>

namespace ms {

std::string PushRegistry::Register(const PushContext& context) {
  static thread_local std::random_device rd;
  std::string token;
  for (int i = 0; i < 4; ++i) token += fmt::format("{:08x}", rd());
  std::lock_guard lock(mu_);
  pushes_[token] = context;
  return token;
}

void PushRegistry::Unregister(const std::string& token) {
  std::lock_guard lock(mu_);
  pushes_.erase(token);
}

std::optional<PushContext> PushRegistry::Find(const std::string& token) {
  std::lock_guard lock(mu_);
  auto it = pushes_.find(token);
  if (it == pushes_.end()) return std::nullopt;
  return it->second;
}

}  // namespace ms
