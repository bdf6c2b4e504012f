#pragma once
// What the runtime commands (releases, ps, logs, run, checks, nodes) share:
// the Runtime, or a clear error where this daemon runs without Docker, and
// release numbers as users type them ("v3" or "3").

#include <fmt/format.h>

#include "server/commands/command.h"
#include "server/proxy/proxy_service.h"
#include "server/runtime/runtime.h"

namespace ms {

inline Result<Runtime*> NeedRuntime(CommandContext& ctx) {
  if (!ctx.services.engine) {
    return Failed("this server records deploys only (deploy_step: record); running apps needs deploy_step: build");
  }
  return &ctx.services.engine->runtime;
}

inline Result<int> ParseReleaseVersion(const std::string& text) {
  std::string digits = text.starts_with('v') ? text.substr(1) : text;
  int v = 0;
  bool ok = !digits.empty() && digits.size() < 9;
  for (char c : digits) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) v = v * 10 + (c - '0');
  }
  if (!ok || v < 1) return InvalidArgument(fmt::format("'{}' is not a release (like v3)", text.substr(0, 32)));
  return v;
}

// After a change that starts or stops web tasks, or moves a domain: the
// proxy's routes follow, and the command returns once the proxy routes `app`
// as they say.
inline void RefreshRoutes(CommandContext& ctx, const std::string& app) {
  if (!ctx.services.engine) return;
  auto& proxy = ctx.services.engine->proxy;
  auto r = proxy.WriteRoutes();
  if (r) r = proxy.WaitRouted(app);
  if (!r) ctx.err.Write(fmt::format("warning: the proxy's routes were not updated: {}\n", r.error().message));
}

}  // namespace ms
