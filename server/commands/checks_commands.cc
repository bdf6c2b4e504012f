// checks, checks:set — how a new web process proves it is ready.

#include <fmt/format.h>

#include "server/commands/command.h"
#include "server/commands/runtime_access.h"
#include "server/common/json.h"
#include "server/runtime/service_spec.h"

namespace ms {
namespace {

Result<void> Checks(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto path = ctx.services.store.GetCheckPath(app);
  if (!path) return std::unexpected(path.error());
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"type", path->empty() ? "tcp" : "http"}, {"path", *path}}));
  } else if (path->empty()) {
    ctx.out.Write(fmt::format("{}: web is ready when it accepts TCP connections on $PORT.\n", app));
  } else {
    ctx.out.Write(fmt::format("{}: web is ready when GET {} answers 2xx or 3xx.\n", app, *path));
  }
  return {};
}

Result<void> ChecksSet(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string& what = args.positional[1];
  std::string path;
  if (what.starts_with("path=")) {
    path = what.substr(5);
    if (!IsCheckPath(path)) return InvalidArgument(fmt::format("'{}' is not a URL path like /health", path.substr(0, 64)));
  } else if (what != "tcp") {
    return InvalidArgument("say path=/health for an HTTP check, or tcp for a connect check");
  }
  if (auto r = ctx.services.store.SetCheckPath(app, path); !r) return r;
  Audit(ctx, app, what);
  if (!ctx.json) {
    ctx.out.Write(fmt::format("{}'s web check is now {}; it applies from the next deploy or ps:restart.\n", app,
                              path.empty() ? "a TCP connect" : "GET " + path));
  }
  return {};
}

const HandlerEntry kHandlers[] = {
    {"checks", Checks},
    {"checks:set", ChecksSet},
};

}  // namespace

std::span<const HandlerEntry> ChecksHandlers() { return kHandlers; }

}  // namespace ms
