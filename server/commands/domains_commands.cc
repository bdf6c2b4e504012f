// domains, domains:add, domains:remove — the hosts the proxy routes to an app
// besides APP.DOMAIN: exact names and "*." wildcards.

#include <fmt/format.h>

#include "server/commands/command.h"
#include "server/commands/runtime_access.h"
#include "server/common/json.h"
#include "server/common/names.h"

namespace ms {
namespace {

Result<void> Domains(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto domains = ctx.services.store.ListDomains(app);
  if (!domains) return std::unexpected(domains.error());
  std::string default_host = fmt::format("{}.{}", app, ctx.services.settings.domain);
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"default", default_host}, {"custom", *domains}}));
    return {};
  }
  ctx.out.Write(fmt::format("{} answers at {}", app, default_host));
  ctx.out.Write(domains->empty() ? " and no custom domain.\n" : " and:\n");
  for (const auto& d : *domains) ctx.out.Write("  " + d + "\n");
  return {};
}

Result<void> DomainsAdd(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  if (auto r = NeedApp(ctx, app); !r) return r;
  auto host = NormalizeDomain(args.positional[1]);
  if (!host) return std::unexpected(host.error());
  const std::string& domain = ctx.services.settings.domain;
  if (host->ends_with("." + domain) && host->find('.') == host->size() - domain.size() - 1) {
    return InvalidArgument(fmt::format("{} is the address of app '{}' already; every app answers at APP.{}", *host,
                                       host->substr(0, host->find('.')), domain));
  }
  if (auto r = ctx.services.store.AddDomain(app, *host); !r) return r;
  RefreshRoutes(ctx, app);
  if (!ctx.json) {
    ctx.out.Write(fmt::format("Added {} to {}. Point its DNS at this server (an A record, or a CNAME to {}.{}).\n",
                              *host, app, app, domain));
  }
  return {};
}

Result<void> DomainsRemove(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto host = NormalizeDomain(args.positional[1]);
  if (!host) return std::unexpected(host.error());
  auto removed = ctx.services.store.RemoveDomain(app, *host);
  if (!removed) return std::unexpected(removed.error());
  if (!*removed) return NotFound(fmt::format("{} is not a domain of {} (see: domains {})", *host, app, app));
  RefreshRoutes(ctx, app);
  if (!ctx.json) ctx.out.Write(fmt::format("Removed {} from {}.\n", *host, app));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"domains", Domains},
    {"domains:add", DomainsAdd},
    {"domains:remove", DomainsRemove},
};

}  // namespace

std::span<const HandlerEntry> DomainsHandlers() { return kHandlers; }

}  // namespace ms
