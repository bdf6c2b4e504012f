// tokens:* — API tokens for the HTTP API (Authorization: Bearer TOKEN). A token
// acts as the key name that made it, with that name's role and app access.

#include <fmt/format.h>

#include <charconv>
#include <ctime>

#include <nlohmann/json.hpp>

#include "server/commands/command.h"
#include "server/commands/table.h"
#include "server/common/clock.h"
#include "server/common/json.h"
#include "server/common/names.h"
#include "server/keys/api_token.h"

namespace ms {
namespace {

constexpr int kMaxExpiryDays = 3650;

// "" for 0 (never).
std::string UnixToIso(int64_t seconds) { return seconds == 0 ? "" : UtcText(seconds, "%Y-%m-%dT%H:%M:%SZ"); }

Result<void> TokensList(CommandContext& ctx, const Args&) {
  // Admins see every name's tokens; others their own.
  auto tokens = ctx.services.store.ListTokens(ctx.caller.role == Role::kAdmin ? "" : ctx.caller.key_name);
  if (!tokens) return std::unexpected(tokens.error());
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& t : *tokens) {
      list.push_back({{"name", t.name},
                      {"key_name", t.key_name},
                      {"created_at", t.created_at},
                      {"last_used_at", t.last_used_at},
                      {"expires_at", UnixToIso(t.expires_at)}});
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  if (tokens->empty()) {
    ctx.out.Write("No API tokens. tokens:create NAME makes one.\n");
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : *tokens) {
    rows.push_back({t.name, t.key_name, t.created_at, t.last_used_at.empty() ? "never" : t.last_used_at,
                    t.expires_at == 0 ? "never" : UnixToIso(t.expires_at)});
  }
  ctx.out.Write(FormatTable({"NAME", "ACTS AS", "CREATED", "LAST USED", "EXPIRES"}, rows));
  return {};
}

Result<void> TokensCreate(CommandContext& ctx, const Args& args) {
  // A token cannot make tokens: one that leaks must not outlive its revocation.
  if (!ctx.caller.token.empty()) {
    return PermissionDenied("tokens are made over ssh with a key, not with another token");
  }
  const std::string& name = args.positional[0];
  if (auto r = ValidateKeyName(name); !r) {
    return InvalidArgument(fmt::format("'{}' is not a token name: use letters, digits, '.', '_', '@' and '-' "
                                       "(at most 64, starting with a letter or digit)",
                                       name.substr(0, 64)));
  }
  ApiToken token;
  token.key_name = ctx.caller.key_name;
  token.name = name;
  if (std::string days = args.Option("--expires"); !days.empty()) {
    int n = 0;
    auto [end, ec] = std::from_chars(days.data(), days.data() + days.size(), n);
    if (ec != std::errc() || end != days.data() + days.size() || n < 1 || n > kMaxExpiryDays) {
      return InvalidArgument(fmt::format("--expires takes a number of days from 1 to {}, not '{}'", kMaxExpiryDays,
                                         days.substr(0, 32)));
    }
    token.expires_at = static_cast<int64_t>(std::time(nullptr)) + static_cast<int64_t>(n) * 86400;
  }
  auto secret = NewApiToken();
  if (!secret) return std::unexpected(secret.error());
  auto added = ctx.services.store.AddToken(token, ApiTokenHash(*secret));
  if (!added) return std::unexpected(added.error());
  Audit(ctx, "", added->name);
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"name", added->name},
                            {"key_name", added->key_name},
                            {"token", *secret},
                            {"expires_at", UnixToIso(added->expires_at)}}));
    return {};
  }
  ctx.out.Write(fmt::format("{}\n", *secret));
  ctx.err.Write(fmt::format("Token '{}' acts as '{}'{}. It is shown only this once: keep it secret.\n"
                            "Use it as: Authorization: Bearer TOKEN (or MOTHERSHIP_TOKEN for the CLI).\n",
                            added->name, added->key_name,
                            added->expires_at ? " until " + UnixToIso(added->expires_at) : ""));
  return {};
}

Result<void> TokensRevoke(CommandContext& ctx, const Args& args) {
  const std::string& name = args.positional[0];
  std::string key_name = args.Option("--key", ctx.caller.key_name);
  if (key_name != ctx.caller.key_name && ctx.caller.role != Role::kAdmin) {
    return PermissionDenied("only admins revoke another key name's tokens");
  }
  auto removed = ctx.services.store.RemoveToken(key_name, name);
  if (!removed) return std::unexpected(removed.error());
  if (!*removed) {
    return NotFound(fmt::format("'{}' has no token named '{}' (see tokens)", key_name.substr(0, 64),
                                name.substr(0, 64)));
  }
  Audit(ctx, "", key_name == ctx.caller.key_name ? name : fmt::format("{} of {}", name, key_name));
  ctx.out.Write(fmt::format("Revoked token '{}' of '{}'.\n", name, key_name));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"tokens", TokensList},
    {"tokens:create", TokensCreate},
    {"tokens:revoke", TokensRevoke},
};

}  // namespace

std::span<const HandlerEntry> TokensHandlers() { return kHandlers; }

}  // namespace ms
