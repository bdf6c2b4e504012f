// redis:* — an app's Redis (its REDIS add-on): redis-cli and a summary.

#include <fmt/format.h>

#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "server/addons/addons.h"
#include "server/commands/command.h"
#include "server/common/json.h"

namespace ms {
namespace {

Result<Addon> NeedRedis(CommandContext& ctx, const std::string& app) {
  if (!ctx.services.engine) {
    return Failed("this server records deploys only (deploy_step: record); add-ons need deploy_step: build");
  }
  return RedisOf(ctx.services.store, app);
}

// "key:value" lines of INFO (and "db0:keys=3,expires=0,...").
std::map<std::string, std::string> InfoFields(const std::string& info) {
  std::map<std::string, std::string> fields;
  std::istringstream lines(info);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    fields[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return fields;
}

Result<void> RedisInfo(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto addon = NeedRedis(ctx, app);
  if (!addon) return std::unexpected(addon.error());
  auto info = ctx.services.engine->addons.RedisCommand(*addon, {"INFO"});
  if (!info) return std::unexpected(info.error());
  auto f = InfoFields(*info);
  auto field = [&](const std::string& key) { return f.contains(key) ? f[key] : std::string("?"); };
  std::string keys = "0";
  if (auto db0 = f.find("db0"); db0 != f.end() && db0->second.starts_with("keys=")) {
    keys = db0->second.substr(5, db0->second.find(',') - 5);
  }
  const std::string persistence =
      field("aof_enabled") == "1" ? fmt::format("append-only file, fsync every second (last write: {})",
                                                field("aof_last_write_status"))
                                  : "none";
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"name", addon->name}, {"version", field("redis_version")},
                            {"used_memory", field("used_memory_human")}, {"maxmemory", field("maxmemory_human")},
                            {"policy", field("maxmemory_policy")}, {"clients", field("connected_clients")},
                            {"keys", keys}, {"aof", field("aof_enabled") == "1"}}));
    return {};
  }
  ctx.out.Write(fmt::format("Add-on:      {}\nVersion:     Redis {}\nMemory:      {} used of {} (policy {})\n"
                            "Clients:     {}\nKeys:        {}\nPersistence: {}\n",
                            addon->name, field("redis_version"), field("used_memory_human"), field("maxmemory_human"),
                            field("maxmemory_policy"), field("connected_clients"), keys, persistence));
  return {};
}

Result<void> RedisCli(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto addon = NeedRedis(ctx, app);
  if (!addon) return std::unexpected(addon.error());
  RunIO io;
  io.tty = ctx.pty;
  io.stdin_fd = ctx.stdin_fd;
  io.out = &ctx.out;
  io.err = &ctx.err;
  io.cancelled = ctx.cancelled;
  // On this app's network (an attached app's own), with the password from the environment.
  auto code = ctx.services.engine->addons.RunClient(*addon, app, {"redis-cli"}, io);
  if (!code) return std::unexpected(code.error());
  ctx.exit_status = *code;
  return {};
}

const HandlerEntry kHandlers[] = {
    {"redis:info", RedisInfo},
    {"redis:cli", RedisCli},
};

}  // namespace

std::span<const HandlerEntry> RedisHandlers() { return kHandlers; }

}  // namespace ms
