// domains, domains:add, domains:remove — the hosts the proxy routes to an app
// besides APP.DOMAIN: exact names and "*." wildcards.

#include <fmt/format.h>

#include "server/acme/cert_manager.h"
#include "server/commands/command.h"
#include "server/commands/runtime_access.h"
#include "server/common/json.h"
#include "server/common/names.h"
#include "server/keys/app_access.h"

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
  auto host = NormalizeDomain(args.positional[1]);
  if (!host) return std::unexpected(host.error());
  const std::string& domain = ctx.services.settings.domain;
  auto suffixes = SystemPublicSuffixList();
  if (!suffixes) return std::unexpected(suffixes.error());
  if (auto r = CheckNewDomain(ctx.services, **suffixes, app, *host); !r) return r;
  if (auto r = ctx.services.store.AddDomain(app, *host); !r) return r;
  Audit(ctx, app, *host);
  RefreshRoutes(ctx, app);
  if (ctx.services.engine) ctx.services.engine->certs.Wake();  // its own certificate, by ACME
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
  Audit(ctx, app, *host);
  RefreshRoutes(ctx, app);
  if (ctx.services.engine) ctx.services.engine->certs.Wake();  // its ACME certificate goes
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
