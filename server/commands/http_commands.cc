// http:redirect — whether an app's http requests are sent to https (once a
// certificate covers the host they name).

#include <fmt/format.h>

#include "server/commands/command.h"
#include "server/commands/runtime_access.h"

namespace ms {
namespace {

Result<void> HttpRedirect(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string& value = args.positional[1];
  if (value != "on" && value != "off") {
    return InvalidArgument(fmt::format("'{}' is neither on nor off", value.substr(0, 32)));
  }
  const bool on = value == "on";
  if (auto r = ctx.services.store.SetHttpsRedirect(app, on); !r) return r;
  Audit(ctx, app, value);
  RefreshRoutes(ctx, app);
  if (ctx.json) return {};
  if (!on) {
    ctx.out.Write(fmt::format("{} answers over http and https alike.\n", app));
    return {};
  }
  ctx.out.Write(fmt::format("Requests to {} over http now go to https (301; 308 for methods other than GET and "
                            "HEAD) for every host with a certificate (see: certs {}).\n",
                            app, app));
  if (ctx.services.settings.hsts_max_age_seconds > 0) {
    ctx.out.Write(fmt::format("Its https answers carry HSTS (max-age={}).\n", ctx.services.settings.hsts_max_age_seconds));
  }
  return {};
}

const HandlerEntry kHandlers[] = {
    {"http:redirect", HttpRedirect},
};

}  // namespace

std::span<const HandlerEntry> HttpHandlers() { return kHandlers; }

}  // namespace ms
