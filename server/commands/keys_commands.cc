// keys:* — the SSH public keys that may push and run commands (admins only).

#include <fmt/format.h>

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
  auto role = ParseRole(args.Option("--role", "developer"));
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
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"name", added->name},
                            {"fingerprint", added->fingerprint},
                            {"role", RoleName(added->role)}}));
  } else {
    ctx.out.Write(fmt::format("Added {} key '{}' ({}).\n", RoleName(added->role), added->name,
                              added->fingerprint));
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
  if (auto r = ctx.services.store.RemoveKey(name); !r) return r;
  ctx.out.Write(fmt::format("Removed key '{}'. It can no longer connect.\n", name));
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
