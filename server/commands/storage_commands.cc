// storage:* — directories that outlive deploys: named volumes mounted into
// an app's processes (server/runtime/storage_spec.h says how).

#include <fmt/format.h>

#include <optional>

#include <nlohmann/json.hpp>

#include "server/apps/app_lifecycle.h"
#include "server/commands/command.h"
#include "server/commands/runtime_access.h"
#include "server/commands/table.h"
#include "server/common/json.h"
#include "server/runtime/storage_spec.h"

namespace ms {
namespace {

// Whether one path is the other or under it: one mount would hide the other.
bool Nested(const std::string& a, const std::string& b) {
  return a == b || a.starts_with(b + "/") || b.starts_with(a + "/");
}

// Rolls the app's processes to its storage as it is now, when it runs.
Result<void> ApplyStorage(CommandContext& ctx, Runtime& runtime, const std::string& app, Output& progress) {
  auto release = ctx.services.store.LatestRelease(app);
  if (!release) return std::unexpected(release.error());
  if (!*release) {
    progress.Write(fmt::format("{} has no release yet: its processes get it from the first deploy.\n", app));
    return {};
  }
  auto mounts = ctx.services.store.ListStorageMounts(app);
  if (!mounts) return std::unexpected(mounts.error());
  progress.Write(fmt::format("Restarting {} ({}) ...\n", app,
                             mounts->empty() ? "no storage left: start-first again, on any node"
                                             : "stop-first from now on: two releases never write one volume"));
  auto r = runtime.Scale(app, progress);
  if (r) RefreshRoutes(ctx, app);
  return r;
}

Result<void> StorageMountCmd(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto parsed = ParseStorageMount(args.positional[1]);
  if (!parsed) return std::unexpected(parsed.error());
  const auto& [name, path] = *parsed;
  auto runtime = NeedRuntime(ctx);
  if (!runtime) return std::unexpected(runtime.error());
  auto lock = WaitForApp(ctx.services, app, ctx.cancelled);
  if (!lock) return std::unexpected(lock.error());
  auto mounts = ctx.services.store.ListStorageMounts(app);
  if (!mounts) return std::unexpected(mounts.error());
  for (const auto& m : *mounts) {
    if (m.name == name) {
      return AlreadyExists(fmt::format("{} has a storage named {} at {} already", app, name, m.path));
    }
    if (Nested(m.path, path)) {
      return InvalidArgument(fmt::format("{} is mounted at {}, and one volume would hide the other: choose a path "
                                         "beside it",
                                         m.name, m.path));
    }
  }
  auto node = (*runtime)->PrepareStorage(app, name);
  if (!node) return std::unexpected(node.error());
  if (auto r = ctx.services.store.AddStorageMount(StorageMount{app, name, path, *node, ""}); !r) return r;
  Output& progress = ctx.json ? ctx.err : ctx.out;
  if (auto r = ApplyStorage(ctx, **runtime, app, progress); !r) {
    // Swarm rolled the processes back; the mount goes too, its volume stays.
    (void)ctx.services.store.RemoveStorageMount(app, name);
    return Failed(fmt::format("{} was not mounted: {}", name, r.error().message));
  }
  Audit(ctx, app, fmt::format("{}:{}", name, path));
  const std::string volume = StorageVolumeName(ctx.services.settings.InstallId(), app, name);
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"app", app}, {"name", name}, {"path", path}, {"volume", volume}, {"node", *node}}));
  } else {
    ctx.out.Write(fmt::format("Mounted {} at {} in {}'s processes (volume {}, on node {}).\n", name, path, app,
                              volume, *node));
  }
  return {};
}

Result<void> StorageListCmd(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto mounts = ctx.services.store.ListStorageMounts(app);
  if (!mounts) return std::unexpected(mounts.error());
  const std::string install = ctx.services.settings.InstallId();
  if (ctx.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& m : *mounts) {
      list.push_back({{"name", m.name}, {"path", m.path}, {"volume", StorageVolumeName(install, app, m.name)},
                      {"node", m.node_id}, {"created_at", m.created_at}});
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  if (mounts->empty()) {
    ctx.out.Write(fmt::format("{} has no storage. storage:mount {} NAME:/path mounts one.\n", app, app));
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : *mounts) {
    rows.push_back({m.name, m.path, StorageVolumeName(install, app, m.name), m.node_id, m.created_at});
  }
  ctx.out.Write(FormatTable({"NAME", "PATH", "VOLUME", "NODE", "CREATED"}, rows));
  return {};
}

Result<void> StorageUnmountCmd(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string& name = args.positional[1];
  auto runtime = NeedRuntime(ctx);
  if (!runtime) return std::unexpected(runtime.error());
  auto lock = WaitForApp(ctx.services, app, ctx.cancelled);
  if (!lock) return std::unexpected(lock.error());
  auto mounts = ctx.services.store.ListStorageMounts(app);
  if (!mounts) return std::unexpected(mounts.error());
  std::optional<StorageMount> found;
  for (const auto& m : *mounts) {
    if (m.name == name) found = m;
  }
  if (!found) return NotFound(fmt::format("{} has no storage named {} (storage:list {} lists them)", app, name, app));
  if (auto r = ctx.services.store.RemoveStorageMount(app, name); !r) return r;
  Output& progress = ctx.json ? ctx.err : ctx.out;
  if (auto r = ApplyStorage(ctx, **runtime, app, progress); !r) {
    (void)ctx.services.store.AddStorageMount(*found);
    return Failed(fmt::format("{} was not unmounted: {}", name, r.error().message));
  }
  Audit(ctx, app, name);
  ctx.out.Write(fmt::format(
      "Unmounted {} from {}. Its data stays in the volume {}: storage:mount {} {}:PATH mounts it again; "
      "apps:destroy {} --confirm {} --destroy-storage deletes it.\n",
      name, found->path, StorageVolumeName(ctx.services.settings.InstallId(), app, name), app, name, app, app));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"storage:mount", StorageMountCmd},
    {"storage:list", StorageListCmd},
    {"storage:unmount", StorageUnmountCmd},
};

}  // namespace

std::span<const HandlerEntry> StorageHandlers() { return kHandlers; }

}  // namespace ms
