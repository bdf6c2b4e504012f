// config, config:* — an app's environment variables.

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "server/builder/buildpack_source.h"
#include "server/builder/builder.h"
#include "server/commands/command.h"
#include "server/common/json.h"
#include "server/common/names.h"
#include "server/common/shell_words.h"
#include "server/apps/release_changes.h"

namespace ms {
namespace {

std::string JoinKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out += i + 1 == keys.size() ? " and " : ", ";
    out += keys[i];
  }
  return out;
}

Result<void> ConfigShow(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto vars = ctx.services.store.GetConfig(app);
  if (!vars) return std::unexpected(vars.error());
  if (ctx.json) {
    ctx.out.Write(JsonLine(nlohmann::json(*vars)));
    return {};
  }
  if (args.Has("--shell")) {
    for (const auto& [k, v] : *vars) ctx.out.Write(fmt::format("{}={}\n", k, QuoteShellWord(v)));
    return {};
  }
  if (vars->empty()) {
    ctx.out.Write(fmt::format("{} has no config vars. Set one with config:set {} KEY=VALUE\n", app, app));
    return {};
  }
  size_t width = 0;
  for (const auto& [k, v] : *vars) width = std::max(width, k.size() + 1);
  std::string out = fmt::format("=== {} config vars\n", app);
  for (const auto& [k, v] : *vars) out += fmt::format("{:<{}} {}\n", k + ":", width, v);
  ctx.out.Write(out);
  return {};
}

Result<void> ConfigGet(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string& key = args.positional[1];
  if (auto r = ValidateConfigKey(key); !r) return r;
  auto vars = ctx.services.store.GetConfig(app);
  if (!vars) return std::unexpected(vars.error());
  auto it = vars->find(key);
  if (it == vars->end()) return NotFound(fmt::format("{} is not set on {}", key, app));
  if (ctx.json) {
    ctx.out.Write(JsonLine(nlohmann::json{{key, it->second}}));
  } else {
    ctx.out.Write(it->second + "\n");
  }
  return {};
}

Result<void> ConfigSet(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  ConfigVars vars;
  std::vector<std::string> keys;
  for (size_t i = 1; i < args.positional.size(); ++i) {
    const std::string& pair = args.positional[i];
    auto eq = pair.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument(fmt::format("'{}' is not KEY=VALUE", pair.substr(0, 64)));
    }
    std::string key = pair.substr(0, eq), value = pair.substr(eq + 1);
    if (auto r = ValidateConfigKey(key); !r) return r;
    if (auto r = ValidateConfigValue(key, value); !r) return r;
    if (key == "BUILDPACK_URL" && !value.empty()) {
      auto source = ParseBuildpackSource(value, Builder::BundledBuildpacks(), ctx.services.settings.local_buildpacks);
      Result<void> allowed = source ? CheckBuildpackHost(*source) : std::unexpected(source.error());
      if (!allowed) return InvalidArgument("BUILDPACK_URL: " + allowed.error().message);
    }
    if (!vars.contains(key)) keys.push_back(key);
    vars[key] = value;
  }
  // --unset A,B: unset in the same release (the HTTP API's PATCH with nulls).
  std::vector<std::string> unset;
  if (std::string list = args.Option("--unset"); !list.empty()) {
    for (size_t start = 0; start <= list.size();) {
      size_t end = std::min(list.find(',', start), list.size());
      std::string key = list.substr(start, end - start);
      if (auto r = ValidateConfigKey(key); !r) return r;
      if (vars.contains(key)) return InvalidArgument(fmt::format("{} is both set and unset", key));
      if (std::find(unset.begin(), unset.end(), key) == unset.end()) unset.push_back(key);
      start = end + 1;
    }
  }
  auto current = ctx.services.store.GetConfig(app);
  if (!current) return std::unexpected(current.error());
  ConfigVars next = *current;
  for (const auto& [k, v] : vars) next[k] = v;
  std::vector<std::string> removed;
  for (const auto& key : unset) {
    if (next.erase(key) > 0) removed.push_back(key);
  }
  std::string description = fmt::format("Set {}", JoinKeys(keys));
  if (!removed.empty()) description += fmt::format(", unset {}", JoinKeys(removed));
  auto release = ChangeConfig(ctx.services, app, next, fmt::format("{} by {}", description, ctx.caller.key_name),
                              ctx.json ? ctx.err : ctx.out, ctx.cancelled);
  if (!release) return std::unexpected(release.error());
  // The names only: values are secrets.
  Audit(ctx, app, removed.empty() ? JoinKeys(keys) : fmt::format("{}; unset {}", JoinKeys(keys), JoinKeys(removed)));
  if (!ctx.json) {
    ctx.out.Write(fmt::format("{} on {}.{}\n", description, app,
                              *release ? fmt::format(" Released v{}.", *release) : std::string()));
  } else {
    ctx.out.Write(JsonLine(nlohmann::json{{"set", keys}, {"unset", removed}, {"release", *release}}));
  }
  return {};
}

Result<void> ConfigUnset(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  std::vector<std::string> keys(args.positional.begin() + 1, args.positional.end());
  for (const auto& key : keys) {
    if (auto r = ValidateConfigKey(key); !r) return r;
  }
  auto current = ctx.services.store.GetConfig(app);
  if (!current) return std::unexpected(current.error());
  ConfigVars next = *current;
  auto removed = std::make_optional<std::vector<std::string>>();
  for (const auto& key : keys) {
    if (next.erase(key) > 0 && std::find(removed->begin(), removed->end(), key) == removed->end()) {
      removed->push_back(key);
    }
  }
  int release = 0;
  if (!removed->empty()) {
    auto made = ChangeConfig(ctx.services, app, next,
                             fmt::format("Unset {} by {}", JoinKeys(*removed), ctx.caller.key_name),
                             ctx.json ? ctx.err : ctx.out, ctx.cancelled);
    if (!made) return std::unexpected(made.error());
    release = *made;
    Audit(ctx, app, JoinKeys(*removed));
  }
  if (ctx.json) {
    ctx.out.Write(JsonLine(nlohmann::json{{"unset", *removed}, {"release", release}}));
    return {};
  }
  if (!removed->empty()) {
    ctx.out.Write(fmt::format("Unset {} on {}.{}\n", JoinKeys(*removed), app,
                              release ? fmt::format(" Released v{}.", release) : std::string()));
  }
  for (const auto& key : keys) {
    if (std::find(removed->begin(), removed->end(), key) == removed->end()) {
      ctx.out.Write(fmt::format("{} was not set on {}.\n", key, app));
    }
  }
  return {};
}

const HandlerEntry kHandlers[] = {
    {"config", ConfigShow},
    {"config:get", ConfigGet},
    {"config:set", ConfigSet},
    {"config:unset", ConfigUnset},
};

}  // namespace

std::span<const HandlerEntry> ConfigHandlers() { return kHandlers; }

}  // namespace ms
