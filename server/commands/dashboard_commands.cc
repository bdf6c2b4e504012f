// dashboard — a one-time link that signs the caller in to the web dashboard
// (the ssh key it came with, or the API token); `mothership dashboard` opens it.

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "server/commands/command.h"
#include "server/common/json.h"
#include "server/keys/web_session.h"

namespace ms {
namespace {

Result<void> Dashboard(CommandContext& ctx, const Args&) {
  auto code = NewSignInLink(ctx.services.store, ctx.caller);
  if (!code) return std::unexpected(code.error());
  // The code rides in the fragment: browsers never send it to a server or in a Referer.
  const std::string url = ctx.services.settings.DashboardUrl() + "#code=" + *code;
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"url", url}, {"expires_at", static_cast<int64_t>(std::time(nullptr)) + kLinkSeconds}}));
    return {};
  }
  ctx.out.Write(fmt::format("Open this link within {} minutes to sign in to the dashboard (it works once):\n{}\n",
                            kLinkSeconds / 60, url));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"dashboard", Dashboard},
};

}  // namespace

std::span<const HandlerEntry> DashboardHandlers() { return kHandlers; }

}  // namespace ms
