// access, access:add, access:remove — who may use an app besides admins: its
// owner and its members (apps:transfer, in apps_commands.cc, changes the owner).

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "server/commands/command.h"
#include "server/commands/table.h"
#include "server/common/json.h"
#include "server/keys/app_access.h"

namespace ms {
namespace {

Result<void> Access(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto members = ctx.services.store.ListMembers(app);
  if (!members) return std::unexpected(members.error());
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& m : *members) {
      list.push_back({{"name", m.name}, {"role", AppRoleName(m.role)}, {"since", m.added_at}});
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : *members) rows.push_back({m.name, std::string(AppRoleName(m.role)), m.added_at});
  ctx.out.Write(fmt::format("=== {} (admins may use every app)\n", app));
  ctx.out.Write(FormatTable({"NAME", "ROLE", "SINCE"}, rows));
  return {};
}

Result<void> AccessAdd(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string& name = args.positional[1];
  if (auto r = NeedKeyName(ctx.services.store, name); !r) return r;
  if (auto r = ctx.services.store.AddMember(app, name); !r) return r;
  Audit(ctx, app, name);
  if (!ctx.json) ctx.out.Write(fmt::format("{} may now use {}.\n", name, app));
  return {};
}

Result<void> AccessRemove(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string& name = args.positional[1];
  auto role = ctx.services.store.RoleIn(app, name);
  if (!role) return std::unexpected(role.error());
  if (*role == AppRole::kOwner) {
    return Failed(fmt::format("{} owns {}; hand it over first (apps:transfer {} KEYNAME)", name, app, app));
  }
  auto removed = ctx.services.store.RemoveMember(app, name);
  if (!removed) return std::unexpected(removed.error());
  if (!*removed) return NotFound(fmt::format("{} is not a member of {} (see: access {})", name.substr(0, 64), app, app));
  Audit(ctx, app, name);
  if (!ctx.json) ctx.out.Write(fmt::format("{} may no longer use {}.\n", name, app));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"access", Access},
    {"access:add", AccessAdd},
    {"access:remove", AccessRemove},
};

}  // namespace

std::span<const HandlerEntry> AccessHandlers() { return kHandlers; }

}  // namespace ms
