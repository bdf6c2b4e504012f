// keys:* — the SSH public keys that may push and run commands (admins only).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "server/commands/command.h"
#include "server/common/json.h"
#include "server/commands/table.h"
#include "server/common/names.h"
#include "server/keys/public_key.h"

namespace ms {
namespace {

Result<void> KeysAdd(CommandContext& ctx, const Args& args) {
  const std::string& name = args.positional[0];
  if (auto r = ValidateKeyName(name); !r) return r;
  // Another key of a known name takes the name's role unless --role says otherwise.
  auto same_name = ctx.services.store.KeysNamed(name);
  if (!same_name) return std::unexpected(same_name.error());
  std::string default_role = same_name->empty() ? "developer" : std::string(RoleName(same_name->front().role));
  auto role = ParseRole(args.Option("--role", default_role));
  if (!role) return std::unexpected(role.error());
  auto text = ctx.in.ReadAll(16 * 1024);
  if (!text) return std::unexpected(text.error());
  auto parsed = ParsePublicKey(*text);
  if (!parsed) {
    return InvalidArgument(parsed.error().message +
                           "\nPipe the key in: ssh ... keys:add NAME < ~/.ssh/id_ed25519.pub");
  }
  SshKey key;
  key.name = name;
  key.fingerprint = parsed->fingerprint;
  key.public_key = parsed->Line();
  key.role = *role;
  auto added = ctx.services.store.AddKey(key);
  if (!added) return std::unexpected(added.error());
  Audit(ctx, "", fmt::format("{} {} {}", added->name, RoleName(added->role), added->fingerprint));
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"name", added->name},
                            {"fingerprint", added->fingerprint},
                            {"role", RoleName(added->role)}}));
  } else {
    ctx.out.Write(fmt::format("Added {} key '{}' ({}){}.\n", RoleName(added->role), added->name,
                              added->fingerprint,
                              same_name->empty() ? "" : fmt::format(", {} keys under this name", same_name->size() + 1)));
  }
  return {};
}

Result<void> KeysList(CommandContext& ctx, const Args&) {
  auto keys = ctx.services.store.ListKeys();
  if (!keys) return std::unexpected(keys.error());
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& k : *keys) {
      list.push_back({{"name", k.name},
                      {"fingerprint", k.fingerprint},
                      {"role", RoleName(k.role)},
                      {"created_at", k.created_at}});
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& k : *keys) {
    rows.push_back({k.name, std::string(RoleName(k.role)), k.fingerprint, k.created_at});
  }
  ctx.out.Write(FormatTable({"NAME", "ROLE", "FINGERPRINT", "ADDED"}, rows));
  return {};
}

Result<void> KeysRemove(CommandContext& ctx, const Args& args) {
  const std::string& name = args.positional[0];
  std::string fingerprint = args.positional.size() > 1 ? args.positional[1] : "";
  auto removal = ctx.services.store.RemoveKey(name, fingerprint, ctx.caller.key_name);
  if (!removal) return std::unexpected(removal.error());
  int closed = ctx.services.sessions.Revoke(removal->fingerprints);
  Audit(ctx, "", fmt::format("{} {}", name, fmt::join(removal->fingerprints, " ")));
  for (const std::string& app : removal->apps_moved) {
    Audit(ctx, app, fmt::format("owner {} -> {} (keys:remove)", name, removal->heir));
  }
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"name", name},
                            {"fingerprints", removal->fingerprints},
                            {"name_gone", removal->name_gone},
                            {"apps_moved", removal->apps_moved},
                            {"new_owner", removal->heir},
                            {"memberships_ended", removal->memberships_ended},
                            {"sessions_closed", closed}}));
    return {};
  }
  ctx.out.Write(fmt::format("Removed {} key{} of '{}'; {} open session{} closed.\n", removal->fingerprints.size(),
                            removal->fingerprints.size() == 1 ? "" : "s", name, closed, closed == 1 ? "" : "s"));
  if (!removal->name_gone) {
    ctx.out.Write(fmt::format("'{}' has other keys and keeps its access.\n", name));
    return {};
  }
  ctx.out.Write(fmt::format("'{}' has no key left: its {} membership{} ended.\n", name, removal->memberships_ended,
                            removal->memberships_ended == 1 ? "" : "s"));
  if (!removal->apps_moved.empty()) {
    ctx.out.Write(fmt::format("Its apps now belong to {}: {}\n", removal->heir, fmt::join(removal->apps_moved, ", ")));
  }
  return {};
}

const HandlerEntry kHandlers[] = {
    {"keys:add", KeysAdd},
    {"keys:list", KeysList},
    {"keys:remove", KeysRemove},
};

}  // namespace

std::span<const HandlerEntry> KeysHandlers() { return kHandlers; }

}  // namespace ms
