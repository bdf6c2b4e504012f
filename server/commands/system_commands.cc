// help and version.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "server/commands/command.h"
#include "server/common/json.h"
#include "server/commands/router.h"

namespace ms {
namespace {

Result<void> Help(CommandContext& ctx, const Args& args) {
  if (args.positional.empty()) {
    ctx.out.Write(HelpText());
    return {};
  }
  auto text = HelpText(args.positional[0]);
  if (!text) return std::unexpected(text.error());
  ctx.out.Write(*text);
  return {};
}

Result<void> Version(CommandContext& ctx, const Args&) {
  if (ctx.json) {
    ctx.out.Write(JsonLine(nlohmann::json{{"version", MOTHERSHIP_VERSION}}));
  } else {
    ctx.out.Write(fmt::format("mothership {}\n", MOTHERSHIP_VERSION));
  }
  return {};
}

const HandlerEntry kHandlers[] = {
    {"help", Help},
    {"version", Version},
};

}  // namespace

std::span<const HandlerEntry> SystemHandlers() { return kHandlers; }

}  // namespace ms
