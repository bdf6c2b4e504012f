// audit — the audit log: every change of access, keys, config, scale, domains,
// and every deploy, rollback, restart and destroy, with who, when and from where.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "server/keys/app_access.h"
#include "server/commands/command.h"
#include "server/commands/table.h"
#include "server/common/json.h"
#include "server/common/log.h"
#include "server/common/numbers.h"

namespace ms {

void Audit(CommandContext& ctx, const std::string& app, const std::string& detail) {
  AuditEntry entry{.actor = ActorName(ctx.caller),
                   .address = ctx.caller.address,
                   .app = app,
                   .action = ctx.command,
                   .detail = detail};
  if (auto r = ctx.services.store.AddAudit(entry); !r) {
    LogWarn("audit log: cannot record {} {} by {}: {}", ctx.command, app, ctx.caller.key_name, r.error().message);
    ctx.err.Write(fmt::format("warning: the audit log did not record this: {}\n", r.error().message));
  }
}

namespace {

constexpr int kDefaultLines = 50;
constexpr int kMaxLines = 10000;

Result<void> AuditList(CommandContext& ctx, const Args& args) {
  std::string app;
  int lines = kDefaultLines;
  const auto& words = args.positional;
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "-n") {
      if (i + 1 >= words.size()) return InvalidArgument("-n needs a number of lines");
      auto n = ParseCount(words[++i], 1, kMaxLines);
      if (!n) return InvalidArgument(fmt::format("-n takes a number of lines from 1 to {}", kMaxLines));
      lines = *n;
    } else if (app.empty()) {
      app = words[i];
    } else {
      return InvalidArgument("too many arguments");
    }
  }
  if (!app.empty()) {
    if (auto r = CheckAppAccess(ctx.services.store, ctx.caller, app, AppNeed::kMember); !r) return r;
  }
  std::string viewer = ctx.caller.role == Role::kAdmin ? "" : ctx.caller.key_name;
  auto entries = ctx.services.store.ListAudit(app, viewer, lines);
  if (!entries) return std::unexpected(entries.error());
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& e : *entries) {
      list.push_back({{"id", e.id},
                      {"at", e.at},
                      {"actor", e.actor},
                      {"address", e.address},
                      {"app", e.app},
                      {"action", e.action},
                      {"detail", e.detail}});
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  if (entries->empty()) {
    ctx.out.Write(app.empty() ? "Nothing recorded yet.\n" : fmt::format("Nothing recorded for {} yet.\n", app));
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : *entries) {
    rows.push_back({e.at, e.actor, e.address.empty() ? "-" : e.address, e.app.empty() ? "-" : e.app, e.action,
                    e.detail});
  }
  ctx.out.Write(FormatTable({"WHEN", "WHO", "FROM", "APP", "ACTION", "DETAIL"}, rows));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"audit", AuditList},
};

}  // namespace

std::span<const HandlerEntry> AuditHandlers() { return kHandlers; }

}  // namespace ms
