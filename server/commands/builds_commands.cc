// builds:* — the history of an app's builds and their output.

#include <fmt/format.h>

#include "server/commands/command.h"
#include "server/commands/table.h"
#include "server/common/json.h"

namespace ms {
namespace {

Result<void> BuildsList(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto deploys = ctx.services.store.ListDeploys(app, 50);
  if (!deploys) return std::unexpected(deploys.error());
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& d : *deploys) {
      list.push_back({{"id", d.id}, {"commit", d.commit}, {"status", d.status}, {"by", d.key_name},
                      {"started_at", d.started_at}, {"finished_at", d.finished_at}, {"message", d.message}});
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  if (deploys->empty()) {
    ctx.out.Write(fmt::format("{} has no builds yet. git push to build it.\n", app));
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : *deploys) {
    rows.push_back({std::to_string(d.id), d.commit.substr(0, 7), d.status, d.key_name, d.started_at});
  }
  ctx.out.Write(FormatTable({"ID", "COMMIT", "STATUS", "BY", "STARTED"}, rows));
  return {};
}

Result<void> BuildsOutput(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  int64_t id = 0;
  if (args.positional.size() > 1) {
    const std::string& text = args.positional[1];
    char* end = nullptr;
    id = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || id <= 0) {
      return InvalidArgument(fmt::format("'{}' is not a build id (see builds:list {})", text.substr(0, 32), app));
    }
  } else {
    auto latest = ctx.services.store.ListDeploys(app, 1);
    if (!latest) return std::unexpected(latest.error());
    if (latest->empty()) return NotFound(fmt::format("{} has no builds yet", app));
    id = (*latest)[0].id;
  }
  auto log = ctx.services.store.DeployLog(app, id);
  if (!log) return std::unexpected(log.error());
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"id", id}, {"output", *log}}));
  } else {
    ctx.out.Write(*log);
  }
  return {};
}

const HandlerEntry kHandlers[] = {
    {"builds:list", BuildsList},
    {"builds:output", BuildsOutput},
};

}  // namespace

std::span<const HandlerEntry> BuildsHandlers() { return kHandlers; }

}  // namespace ms
