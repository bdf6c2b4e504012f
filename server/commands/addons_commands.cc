// addons:* — add-ons: a Postgres made for an app (server/addons/), attached
// to apps as NAME_URL config vars (each change a release).

#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "server/addons/addon_changes.h"
#include "server/addons/addons.h"
#include "server/addons/pg_backups.h"
#include "server/addons/redis_service.h"
#include "server/addons/postgres_service.h"
#include "server/commands/command.h"
#include "server/commands/table.h"
#include "server/common/json.h"
#include "server/keys/app_access.h"
#include "server/runtime/service_spec.h"

namespace ms {
namespace {

Result<Addons*> NeedAddons(CommandContext& ctx) {
  if (!ctx.services.engine) {
    return Failed("this server records deploys only (deploy_step: record); add-ons need deploy_step: build");
  }
  return &ctx.services.engine->addons;
}

// The add-on, when the caller may see its app.
Result<Addon> VisibleAddon(CommandContext& ctx, const std::string& name) {
  auto addon = ctx.services.store.GetAddon(name);
  if (!addon) return std::unexpected(addon.error());
  if (!*addon || !CheckAppAccess(ctx.services.store, ctx.caller, (*addon)->app, AppNeed::kMember)) {
    return NotFound(fmt::format("no add-on is named '{}' (addons lists yours)", name.substr(0, 64)));
  }
  return **addon;
}

// Sets (or, with url "", unsets) NAME_URL on app: a new release.
Result<int> SetUrl(CommandContext& ctx, const std::string& app, const std::string& as, const std::string& url,
                   const std::string& what) {
  return SetAddonUrl(ctx.services, app, as, url, fmt::format("{} by {}", what, ctx.caller.key_name),
                     ctx.json ? ctx.err : ctx.out, ctx.cancelled);
}

std::string Released(int version) { return version ? fmt::format(" Released v{}.", version) : ""; }

Result<void> AddonsList(CommandContext& ctx, const Args& args) {
  const std::string app = args.positional.empty() ? "" : args.positional[0];
  if (!app.empty()) {
    if (auto r = CheckAppAccess(ctx.services.store, ctx.caller, app, AppNeed::kMember); !r) return r;
  }
  auto addons = ctx.services.store.ListAddons();
  if (!addons) return std::unexpected(addons.error());
  auto attachments = ctx.services.store.ListAttachments("");
  if (!attachments) return std::unexpected(attachments.error());
  nlohmann::json list = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : *addons) {
    std::vector<std::string> attached;
    bool on_app = app.empty() || a.app == app;
    nlohmann::json attached_json = nlohmann::json::array();
    for (const auto& at : *attachments) {
      if (at.addon != a.name) continue;
      on_app = on_app || at.app == app;
      attached.push_back(fmt::format("{} as {}_URL", at.app, at.name));
      attached_json.push_back({{"app", at.app}, {"as", at.name}});
    }
    if (!on_app || !CheckAppAccess(ctx.services.store, ctx.caller, a.app, AppNeed::kMember)) continue;
    list.push_back({{"name", a.name}, {"kind", a.kind}, {"app", a.app}, {"attachments", attached_json},
                    {"created_at", a.created_at}});
    rows.push_back({a.name, a.kind, a.app, fmt::format("{}", fmt::join(attached, ", ")), a.created_at});
  }
  if (ctx.json) {
    ctx.out.Write(JsonLine(list));
  } else if (rows.empty()) {
    ctx.out.Write(app.empty() ? "No add-ons. addons:create APP postgres makes one.\n"
                              : fmt::format("{} has no add-ons. addons:create {} postgres makes one.\n", app, app));
  } else {
    ctx.out.Write(FormatTable({"NAME", "KIND", "APP", "ATTACHED", "CREATED"}, rows));
  }
  return {};
}

Result<void> AddonsCreate(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string& asked = args.positional[1];
  Addon draft;
  draft.app = app;
  if (asked == "postgres" || asked == "postgresql" || asked == "heroku-postgresql") {
    draft.kind = "postgres";
  } else if (asked == "redis" || asked == "heroku-redis") {
    draft.kind = "redis";
  } else {
    return InvalidArgument(fmt::format("'{}' is not a kind of add-on here (kinds: {})", asked.substr(0, 64), kAddonKinds));
  }
  const bool redis = draft.kind == "redis";
  if ((args.options.contains("--size") || args.options.contains("--policy")) && !redis) {
    return InvalidArgument("--size and --policy are a Redis's (addons:create APP redis --size MB --policy P)");
  }
  if (redis) {
    auto size = ParseRedisSize(args.Option("--size", std::to_string(kRedisDefaultMb)));
    if (!size) return std::unexpected(size.error());
    draft.size_mb = *size;
    draft.policy = args.Option("--policy", "noeviction");
    if (auto r = ValidateRedisPolicy(draft.policy); !r) return r;
  }
  draft.name = args.Option("--name", app + "-" + draft.kind);
  const std::string as = args.Option("--as", redis ? "REDIS" : "DATABASE");
  const std::string name = draft.name;
  if (auto r = ValidateAddonName(name); !r) return r;
  if (auto r = ValidateAttachmentName(as); !r) return r;
  auto addons = NeedAddons(ctx);
  if (!addons) return std::unexpected(addons.error());
  auto config = ctx.services.store.GetConfig(app);
  if (!config) return std::unexpected(config.error());
  if (config->contains(as + "_URL")) {
    return AlreadyExists(fmt::format("{} has {}_URL set already; give the new database another name with --as "
                                     "NAME (NAME_URL), or unset it first",
                                     app, as));
  }
  auto lock = LockAddon(ctx.services, name);
  if (!lock) return std::unexpected(lock.error());
  auto all = ctx.services.store.ListAddons();
  if (!all) return std::unexpected(all.error());
  const auto owned = std::count_if(all->begin(), all->end(), [&](const Addon& a) { return a.app == app; });
  if (owned >= ctx.services.settings.addons_max_per_app) {
    return InvalidArgument(fmt::format("{} has {} add-on(s), as many as an app may own (addons_max_per_app); "
                                    "addons:destroy one first, or ask an admin to raise the limit",
                                    app, owned));
  }
  Output& progress = ctx.json ? ctx.err : ctx.out;
  auto addon = (*addons)->Create(draft, as, progress);
  if (!addon) return std::unexpected(addon.error());
  auto release = SetUrl(ctx, app, as, AddonUrl(*addon), fmt::format("Attach {} as {}_URL", name, as));
  if (!release) {
    (void)ctx.services.store.SetAddonState(name, "destroying");
    if ((*addons)->Remove(*addon)) (void)ctx.services.store.DeleteAddon(name);
    return Failed(fmt::format("{} could not be given {}_URL, so {} was removed again: {}", app, as, name,
                              release.error().message));
  }
  Audit(ctx, app, fmt::format("{} ({}) as {}_URL", name, draft.kind, as));
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"name", name}, {"kind", draft.kind}, {"app", app}, {"as", as}, {"release", *release}}));
  } else {
    ctx.out.Write(fmt::format("Created {} ({}{}) for {}; {}_URL is set.{}\n", name, AddonProduct(*addon),
                              redis ? fmt::format(", {} MB, {}", draft.size_mb, draft.policy) : "", app, as,
                              Released(*release)));
  }
  return {};
}

Result<void> AddonsInfo(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto addon = VisibleAddon(ctx, args.positional[1]);
  if (!addon) return std::unexpected(addon.error());
  auto attachments = ctx.services.store.AttachmentsOf(addon->name);
  if (!attachments) return std::unexpected(attachments.error());
  bool on_app = addon->app == app;
  std::vector<std::string> attached;
  for (const auto& at : *attachments) {
    on_app = on_app || at.app == app;
    attached.push_back(fmt::format("{} as {}_URL", at.app, at.name));
  }
  if (!on_app) return NotFound(fmt::format("{} is not attached to {} (addons {} lists its add-ons)", addon->name, app, app));
  auto backups = ctx.services.store.ListBackups(addon->id);
  if (!backups) return std::unexpected(backups.error());
  const std::string volume = AddonVolumeName(ctx.services.settings.InstallId(), addon->name);
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"name", addon->name}, {"kind", addon->kind}, {"app", addon->app},
                            {"service", AddonServiceName(addon->name)}, {"volume", volume}, {"node", addon->node_id},
                            {"attached", attached}, {"backups", backups->size()}, {"created_at", addon->created_at}}));
    return {};
  }
  const std::string extra = addon->kind == "redis"
                                ? fmt::format("Memory:      {} MB (maxmemory, policy {})\n", addon->size_mb, addon->policy)
                                : fmt::format("Backups:     {} (pg:backups {})\n", backups->size(), addon->app);
  ctx.out.Write(fmt::format(
      "Name:        {}\nKind:        {} ({})\nApp:         {}\nAttached:    {}\nService:     {}\n"
      "Volume:      {} (on node {})\n{}Created:     {}\n",
      addon->name, addon->kind, AddonProduct(*addon), addon->app, fmt::join(attached, ", "),
      AddonServiceName(addon->name), volume, addon->node_id, extra, addon->created_at));
  return {};
}

Result<void> AddonsDestroy(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string& name = args.positional[1];
  auto addon = VisibleAddon(ctx, name);
  if (!addon) return std::unexpected(addon.error());
  if (addon->app != app) {
    return InvalidArgument(fmt::format("{} belongs to {}, not {}: addons:detach {} --app {} takes it away from {}",
                                       name, addon->app, app, name, app, app));
  }
  if (args.Option("--confirm") != name) {
    return InvalidArgument(fmt::format("this destroys {} and its data; run again with --confirm {}", name, name));
  }
  auto addons = NeedAddons(ctx);
  if (!addons) return std::unexpected(addons.error());
  auto kept = DestroyAddon(ctx.services, *addon, !args.Has("--no-backup"), ctx.caller.key_name,
                           ctx.json ? ctx.err : ctx.out, ctx.cancelled);
  if (!kept) return std::unexpected(kept.error());
  Audit(ctx, app, name);
  std::string where;
  if (!kept->empty()) {
    where = ctx.services.settings.BackupsInS3()
                ? fmt::format("the bucket {} as {}/{}.pgdump", ctx.services.settings.backups_s3_bucket, name, *kept)
                : (ctx.services.settings.BackupsDir() / name).string();
  }
  ctx.out.Write(fmt::format("Destroyed {}.{}\n", name,
                            kept->empty() ? ""
                                          : fmt::format(" Its last backup {} is kept in {}: pg:backups {} lists it, "
                                                        "pg:backups:restore {} {} --confirm {} puts it into a "
                                                        "database made later.",
                                                        *kept, where, addon->app, addon->app, *kept, addon->app)));
  return {};
}

Result<void> AddonsAttach(CommandContext& ctx, const Args& args) {
  const std::string& name = args.positional[0];
  const std::string app = args.Option("--app");
  const std::string as = args.Option("--as", "DATABASE");
  if (app.empty()) return InvalidArgument("which app? addons:attach ADDON --app APP");
  if (auto r = ValidateAttachmentName(as); !r) return r;
  auto addon = VisibleAddon(ctx, name);
  if (!addon) return std::unexpected(addon.error());
  if (auto r = CheckAppAccess(ctx.services.store, ctx.caller, app, AppNeed::kMember); !r) return r;
  auto addons = NeedAddons(ctx);
  if (!addons) return std::unexpected(addons.error());
  auto lock = LockAddon(ctx.services, name);
  if (!lock) return std::unexpected(lock.error());
  if (addon->state != "ready") return Busy(fmt::format("{} is being made or destroyed", name));
  if (auto r = ctx.services.store.AttachAddon(name, app, as); !r) return r;
  Output& progress = ctx.json ? ctx.err : ctx.out;
  if (auto r = (*addons)->Refresh(*addon, progress); !r) {
    (void)ctx.services.store.DetachAddon(name, app);
    (void)(*addons)->Refresh(*addon, progress);
    return r;
  }
  auto release = SetUrl(ctx, app, as, AddonUrl(*addon), fmt::format("Attach {} as {}_URL", name, as));
  if (!release) {
    (void)ctx.services.store.DetachAddon(name, app);
    (void)(*addons)->Refresh(*addon, progress);
    return std::unexpected(release.error());
  }
  Audit(ctx, app, fmt::format("{} as {}_URL", name, as));
  ctx.out.Write(fmt::format("Attached {} to {} as {}_URL.{}\n", name, app, as, Released(*release)));
  return {};
}

Result<void> AddonsDetach(CommandContext& ctx, const Args& args) {
  const std::string& name = args.positional[0];
  const std::string app = args.Option("--app");
  if (app.empty()) return InvalidArgument("which app? addons:detach ADDON --app APP");
  auto addon = VisibleAddon(ctx, name);
  if (!addon) return std::unexpected(addon.error());
  if (auto r = CheckAppAccess(ctx.services.store, ctx.caller, app, AppNeed::kMember); !r) return r;
  if (addon->app == app) {
    return InvalidArgument(fmt::format("{} belongs to {}: addons:destroy {} {} --confirm {} removes it", name, app,
                                       app, name, name));
  }
  auto attachments = ctx.services.store.AttachmentsOf(name);
  if (!attachments) return std::unexpected(attachments.error());
  std::string as;
  for (const auto& at : *attachments) {
    if (at.app == app) as = at.name;
  }
  if (as.empty()) return NotFound(fmt::format("{} is not attached to {}", name, app));
  auto addons = NeedAddons(ctx);
  if (!addons) return std::unexpected(addons.error());
  auto lock = LockAddon(ctx.services, name);
  if (!lock) return std::unexpected(lock.error());
  auto release = SetUrl(ctx, app, as, "", fmt::format("Detach {}", name));
  if (!release) return std::unexpected(release.error());
  if (auto r = ctx.services.store.DetachAddon(name, app); !r) return std::unexpected(r.error());
  Output& progress = ctx.json ? ctx.err : ctx.out;
  if (auto r = (*addons)->Refresh(*addon, progress); !r) return r;
  Audit(ctx, app, name);
  ctx.out.Write(fmt::format("Detached {} from {} ({}_URL unset).{}\n", name, app, as, Released(*release)));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"addons", AddonsList},          {"addons:create", AddonsCreate}, {"addons:info", AddonsInfo},
    {"addons:destroy", AddonsDestroy}, {"addons:attach", AddonsAttach}, {"addons:detach", AddonsDetach},
};

}  // namespace

std::span<const HandlerEntry> AddonsHandlers() { return kHandlers; }

}  // namespace ms
