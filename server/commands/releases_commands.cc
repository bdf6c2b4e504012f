// releases, releases:info, rollback — an app's release history.

#include <fmt/format.h>

#include "server/commands/command.h"
#include "server/commands/runtime_access.h"
#include "server/commands/table.h"
#include "server/common/json.h"
#include "server/apps/release_changes.h"

namespace ms {
namespace {

nlohmann::json ReleaseJson(const Release& r, bool with_config) {
  nlohmann::json j = {{"version", r.version},         {"image", r.image},
                      {"description", r.description}, {"created_at", r.created_at},
                      {"process_types", r.process_types}};
  if (with_config) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : r.config) keys.push_back(k);
    j["config_keys"] = keys;
  }
  return j;
}

Result<void> Releases(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto list = ctx.services.store.ListReleases(app, 50);
  if (!list) return std::unexpected(list.error());
  if (ctx.json) {
    auto out = nlohmann::json::array();
    for (const auto& r : *list) out.push_back(ReleaseJson(r, false));
    ctx.out.Write(JsonLine(out));
    return {};
  }
  if (list->empty()) {
    ctx.out.Write(fmt::format("{} has no releases yet. git push to deploy it.\n", app));
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& r = (*list)[i];
    rows.push_back({fmt::format("v{}{}", r.version, i == 0 ? " (current)" : ""), r.description, r.created_at});
  }
  ctx.out.Write(FormatTable({"VERSION", "DESCRIPTION", "CREATED"}, rows));
  return {};
}

Result<void> ReleasesInfo(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  Result<Release> release = [&]() -> Result<Release> {
    if (args.positional.size() > 1) {
      auto v = ParseReleaseVersion(args.positional[1]);
      if (!v) return std::unexpected(v.error());
      return ctx.services.store.GetRelease(app, *v);
    }
    auto latest = ctx.services.store.LatestRelease(app);
    if (!latest) return std::unexpected(latest.error());
    if (!*latest) return NotFound(fmt::format("{} has no releases yet", app));
    return **latest;
  }();
  if (!release) return std::unexpected(release.error());
  if (ctx.json) {
    ctx.out.Write(JsonLine(ReleaseJson(*release, true)));
    return {};
  }
  std::string types, keys;
  for (const auto& [k, v] : release->process_types) {
    types += fmt::format("\n  {}: {}", k, v.empty() ? "(the image's CMD)" : v);
  }
  for (const auto& [k, v] : release->config) keys += (keys.empty() ? "" : ", ") + k;
  ctx.out.Write(fmt::format("Release v{} of {}\nDescription: {}\nCreated:     {}\nImage:       {}\nConfig:      {}\n"
                            "Processes:{}\n",
                            release->version, app, release->description, release->created_at, release->image,
                            keys.empty() ? "(none)" : keys, types.empty() ? " (none)" : types));
  return {};
}

Result<void> RollbackCommand(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  int version = 0;
  if (args.positional.size() > 1) {
    auto v = ParseReleaseVersion(args.positional[1]);
    if (!v) return std::unexpected(v.error());
    version = *v;
  }
  auto made = Rollback(ctx.services, app, version, ctx.caller.key_name, ctx.json ? ctx.err : ctx.out, ctx.cancelled);
  if (!made) return std::unexpected(made.error());
  Audit(ctx, app, fmt::format("{}-> v{}", version ? fmt::format("v{} ", version) : "", *made));
  if (ctx.json) ctx.out.Write(JsonLine({{"release", *made}}));
  else ctx.out.Write(fmt::format("Rolled back {}: v{} is running.\n", app, *made));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"releases", Releases},
    {"releases:info", ReleasesInfo},
    {"rollback", RollbackCommand},
};

}  // namespace

std::span<const HandlerEntry> ReleasesHandlers() { return kHandlers; }

}  // namespace ms
