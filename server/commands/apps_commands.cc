// apps:* — list, create, inspect, rename and destroy apps.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "server/addons/addon_changes.h"
#include "server/addons/addons.h"
#include "server/apps/app_lifecycle.h"
#include "server/commands/command.h"
#include "server/common/json.h"
#include "server/commands/table.h"
#include "server/contracts/app_info.h"
#include "server/keys/app_access.h"

namespace ms {
namespace {

std::string GitUrl(const Settings& s, const std::string& app) {
  return fmt::format("ssh://git@{}:{}/{}", s.domain, s.ssh_port, app);
}
Result<void> AppsList(CommandContext& ctx, const Args&) {
  auto apps = ctx.caller.role == Role::kAdmin ? ctx.services.store.ListApps()
                                              : ctx.services.store.ListAppsOf(ctx.caller.key_name);
  if (!apps) return std::unexpected(apps.error());
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& a : *apps) {
      nlohmann::json app = {{"name", a.name},
                            {"owner", a.owner},
                            {"deploy_branch", a.deploy_branch},
                            {"created_at", a.created_at},
                            {"web_url", ctx.services.settings.AppUrl(a.name)}};
      auto deploys = ctx.services.store.ListDeploys(a.name, 1);
      if (deploys && !deploys->empty()) {
        const Deploy& d = (*deploys)[0];
        app["last_deploy"] = {{"commit", d.commit}, {"status", d.status}, {"by", d.key_name},
                              {"started_at", d.started_at}, {"finished_at", d.finished_at}};
      }
      list.push_back(std::move(app));
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  if (apps->empty()) {
    ctx.out.Write("No apps yet. Create one with apps:create APP, or git push to a new app.\n");
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : *apps) {
    auto deploys = ctx.services.store.ListDeploys(a.name, 1);
    std::string last = deploys && !deploys->empty()
                           ? fmt::format("{} {}", (*deploys)[0].commit.substr(0, 7), (*deploys)[0].status)
                           : "-";
    rows.push_back({a.name, a.owner.empty() ? "-" : a.owner, a.deploy_branch.empty() ? "-" : a.deploy_branch, last,
                    a.created_at});
  }
  ctx.out.Write(FormatTable({"NAME", "OWNER", "BRANCH", "LAST DEPLOY", "CREATED"}, rows));
  return {};
}

Result<void> AppsCreate(CommandContext& ctx, const Args& args) {
  const std::string& name = args.positional[0];
  auto app = CreateApp(ctx.services, name, ctx.caller);
  if (!app) return std::unexpected(app.error());
  Audit(ctx, name, "");
  if (ctx.json) {
    ctx.out.Write(JsonLine(nlohmann::json{{"name", app->name}, {"git_url", GitUrl(ctx.services.settings, name)}}));
    return {};
  }
  ctx.out.Write(fmt::format(
      "Created {}.\nDeploy it with:\n  git remote add mothership {}\n  git push mothership main\n",
      name, GitUrl(ctx.services.settings, name)));
  return {};
}

Result<void> AppsInfo(CommandContext& ctx, const Args& args) {
  const std::string& name = args.positional[0];
  auto app = ctx.services.store.GetApp(name);
  if (!app) return std::unexpected(app.error());
  auto deploys = ctx.services.store.ListDeploys(name, 1);
  if (!deploys) return std::unexpected(deploys.error());
  auto config = ctx.services.store.GetConfig(name);
  if (!config) return std::unexpected(config.error());
  const Settings& s = ctx.services.settings;
  if (ctx.json) {
    contracts::AppInfo info{.name = app->name,
                            .created_at = app->created_at,
                            .owner = app->owner,
                            .deploy_branch = app->deploy_branch,
                            .git_url = GitUrl(s, name),
                            .web_url = s.AppUrl(name),
                            .config_vars = static_cast<int64_t>(config->size())};
    if (!deploys->empty()) {
      const Deploy& d = (*deploys)[0];
      info.last_deploy = contracts::LastDeploy{.commit = d.commit,
                                               .status = d.status,
                                               .by = d.key_name,
                                               .started_at = d.started_at,
                                               .finished_at = d.finished_at};
    }
    ctx.out.Write(contracts::ToJson(info));
    return {};
  }
  std::string last = deploys->empty()
                         ? "never"
                         : fmt::format("{} {} by {} at {}", (*deploys)[0].commit.substr(0, 7),
                                       (*deploys)[0].status, (*deploys)[0].key_name,
                                       (*deploys)[0].started_at);
  ctx.out.Write(fmt::format(
      "=== {}\nOwner:         {}\nGit URL:       {}\nWeb URL:       {}\nDeploy branch: {}\n"
      "Last deploy:   {}\nConfig vars:   {}\nCreated:       {}\n",
      name, app->owner.empty() ? "-" : app->owner, GitUrl(s, name), s.AppUrl(name),
      app->deploy_branch.empty() ? "(set by the first push of main or master)" : app->deploy_branch,
      last, config->size(), app->created_at));
  return {};
}

Result<void> AppsRename(CommandContext& ctx, const Args& args) {
  const std::string& from = args.positional[0];
  const std::string& to = args.positional[1];
  // An add-on's service is on the app's network, named after the app.
  auto attached = ctx.services.store.ListAttachments(from);
  if (!attached) return std::unexpected(attached.error());
  if (!attached->empty()) {
    return InvalidArgument(fmt::format("{} has add-ons ({}): detach or destroy them before renaming it", from,
                                       attached->front().addon));
  }
  // Its storage volumes are named after it.
  auto mounts = ctx.services.store.ListStorageMounts(from);
  if (!mounts) return std::unexpected(mounts.error());
  if (!mounts->empty()) {
    return InvalidArgument(fmt::format("{} has storage mounted ({}): its volumes are named after it, so it cannot be "
                                       "renamed",
                                       from, mounts->front().name));
  }
  if (auto r = RenameApp(ctx.services, from, to, ctx.caller); !r) return r;
  Audit(ctx, to, fmt::format("from {}", from));
  ctx.out.Write(fmt::format(
      "Renamed {} to {}.\nUpdate your git remote: git remote set-url mothership {}\n", from, to,
      GitUrl(ctx.services.settings, to)));
  return {};
}

Result<void> AppsDestroy(CommandContext& ctx, const Args& args) {
  const std::string& name = args.positional[0];
  if (auto app = ctx.services.store.GetApp(name); !app) return std::unexpected(app.error());
  if (args.Option("--confirm") != name) {
    return Failed(fmt::format(
        "destroying {} deletes its code, config and history for good.\nTo proceed, run: "
        "apps:destroy {} --confirm {}",
        name, name, name));
  }
  // Its add-ons go first, each with a last backup, only when told; other
  // apps' add-ons it was attached to are detached from it.
  auto addons = ctx.services.store.ListAddons();
  if (!addons) return std::unexpected(addons.error());
  std::vector<Addon> own;
  for (const auto& a : *addons) {
    if (a.app == name) own.push_back(a);
  }
  if (!own.empty() && !args.Has("--destroy-addons")) {
    return Failed(fmt::format(
        "{} has add-ons ({}) holding data. To destroy them too (each is backed up first), run: apps:destroy {} "
        "--confirm {} --destroy-addons",
        name, own.front().name, name, name));
  }
  // Its storage volumes hold data too: deleted only when told.
  std::vector<std::string> volumes;
  if (ctx.services.engine) {
    auto found = ctx.services.engine->runtime.StorageVolumes(name);
    if (!found) return std::unexpected(found.error());
    volumes = *found;
  }
  if (!volumes.empty() && !args.Has("--destroy-storage")) {
    return Failed(fmt::format(
        "{} has storage volumes ({}) holding data. To delete them with the app, run: apps:destroy {} --confirm {} "
        "--destroy-storage{}",
        name, fmt::join(volumes, ", "), name, name, own.empty() ? "" : " --destroy-addons"));
  }
  Output& progress = ctx.json ? ctx.err : ctx.out;
  for (const auto& a : own) {
    auto kept = DestroyAddon(ctx.services, a, true, ctx.caller.key_name, progress, ctx.cancelled);
    if (!kept) return std::unexpected(kept.error());
    progress.Write(kept->empty() ? fmt::format("Destroyed {}.\n", a.name)
                                 : fmt::format("Destroyed {}; its last backup {} is kept.\n", a.name, *kept));
  }
  auto attached = ctx.services.store.ListAttachments(name);
  if (!attached) return std::unexpected(attached.error());
  for (const auto& at : *attached) {
    if (auto r = ctx.services.store.DetachAddon(at.addon, name); !r) return std::unexpected(r.error());
    auto addon = ctx.services.store.GetAddon(at.addon);
    if (addon && *addon && ctx.services.engine) {
      if (auto r = ctx.services.engine->addons.Refresh(**addon, progress); !r) {
        progress.Write(fmt::format("warning: {} keeps {}'s network until it restarts: {}\n", at.addon, name,
                                   r.error().message));
      }
    }
  }
  auto left = DestroyApp(ctx.services, name);
  if (!left) return std::unexpected(left.error());
  Audit(ctx, name, "");  // the app's id is gone with it: admins see this record
  ctx.out.Write(fmt::format("Destroyed {}.\n", name));
  if (!left->empty()) ctx.err.Write(*left + "\n");
  return {};
}

Result<void> AppsTransfer(CommandContext& ctx, const Args& args) {
  const std::string& name = args.positional[0];
  const std::string& to = args.positional[1];
  if (auto r = NeedKeyName(ctx.services.store, to); !r) return r;
  auto app = ctx.services.store.GetApp(name);
  if (!app) return std::unexpected(app.error());
  if (auto r = ctx.services.store.TransferApp(name, to); !r) return r;
  Audit(ctx, name, fmt::format("{} -> {}", app->owner.empty() ? "-" : app->owner, to));
  if (!ctx.json) {
    ctx.out.Write(fmt::format("{} now owns {}.{}\n", to, name,
                              app->owner.empty() ? "" : fmt::format(" {} stays a member.", app->owner)));
  }
  return {};
}

const HandlerEntry kHandlers[] = {
    {"apps:list", AppsList},
    {"apps:create", AppsCreate},
    {"apps:info", AppsInfo},
    {"apps:rename", AppsRename},
    {"apps:transfer", AppsTransfer},
    {"apps:destroy", AppsDestroy},
};

}  // namespace

std::span<const HandlerEntry> AppsHandlers() { return kHandlers; }

}  // namespace ms
