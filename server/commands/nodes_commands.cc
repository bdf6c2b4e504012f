// nodes, nodes:join-command — the Swarm nodes apps run on.

#include <fmt/format.h>

#include "server/commands/command.h"
#include "server/commands/runtime_access.h"
#include "server/commands/table.h"
#include "server/common/json.h"
#include "server/registry/registry_credentials.h"

namespace ms {
namespace {

Result<void> Nodes(CommandContext& ctx, const Args&) {
  auto runtime = NeedRuntime(ctx);
  if (!runtime) return std::unexpected(runtime.error());
  auto nodes = (*runtime)->Nodes();
  if (!nodes) return std::unexpected(nodes.error());
  if (ctx.json) {
    ctx.out.Write(JsonLine(*nodes));
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : *nodes) {
    std::string tasks;
    for (const auto& t : n["tasks"]) tasks += (tasks.empty() ? "" : " ") + t.get<std::string>();
    rows.push_back({n["hostname"], n["role"], n["state"], n["availability"], n["address"],
                    tasks.empty() ? "-" : tasks});
  }
  ctx.out.Write(FormatTable({"HOSTNAME", "ROLE", "STATE", "AVAILABILITY", "ADDRESS", "TASKS"}, rows));
  return {};
}

Result<void> JoinCommand(CommandContext& ctx, const Args&) {
  auto runtime = NeedRuntime(ctx);
  if (!runtime) return std::unexpected(runtime.error());
  auto command = (*runtime)->JoinCommand();
  if (!command) return std::unexpected(command.error());
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"command", *command}}));
  } else {
    const std::string& registry = ctx.services.settings.registry;
    ctx.out.Write(fmt::format(
        "Run this on the new node (Docker installed; it must reach this one on port 2377, and the registry {}{}):\n"
        "  {}\n",
        registry,
        RegistryOnLoopback(registry)
            ? std::string(", which is on this host's loopback: set `registry` to an address every node reaches first")
            : ", listed in \"insecure-registries\" of its /etc/docker/daemon.json",
        *command));
  }
  return {};
}

const HandlerEntry kHandlers[] = {
    {"nodes", Nodes},
    {"nodes:join-command", JoinCommand},
};

}  // namespace

std::span<const HandlerEntry> NodesHandlers() { return kHandlers; }

}  // namespace ms
