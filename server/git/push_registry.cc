#include "server/git/push_registry.h"

#include <fmt/format.h>

#include <random>

namespace ms {

std::string PushRegistry::Register(const PushContext& context, std::function<bool()> cancelled) {
  static thread_local std::random_device rd;
  std::string token;
  for (int i = 0; i < 4; ++i) token += fmt::format("{:08x}", rd());
  std::lock_guard lock(mu_);
  pushes_[token] = {context, std::move(cancelled)};
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
  PushContext context = it->second.context;
  context.client_gone = [this, token] { return Gone(token); };
  return context;
}

bool PushRegistry::Gone(const std::string& token) {
  std::lock_guard lock(mu_);  // (held while cancelled runs: Unregister waits, the job outlives the call)
  auto it = pushes_.find(token);
  return it == pushes_.end() || (it->second.cancelled && it->second.cancelled());
}

}  // namespace ms
