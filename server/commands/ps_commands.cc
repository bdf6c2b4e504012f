// ps, ps:scale, ps:resize, ps:sizes, ps:restart, ps:stop, ps:start — an app's
// processes on Swarm.

#include <fmt/format.h>

#include "server/apps/app_lifecycle.h"
#include "server/commands/command.h"
#include "server/commands/runtime_access.h"
#include "server/commands/table.h"
#include "server/common/json.h"
#include "server/config/process_sizes.h"

namespace ms {
namespace {

constexpr int kMaxReplicas = 100;

// A change to a running app: the runtime, with the app's lock held.
struct Change {
  Runtime* runtime = nullptr;
  AppLock lock;
};

Result<Change> StartChange(CommandContext& ctx, const std::string& app) {
  auto runtime = NeedRuntime(ctx);
  if (!runtime) return std::unexpected(runtime.error());
  auto lock = WaitForApp(ctx.services, app, ctx.cancelled);
  if (!lock) return std::unexpected(lock.error());
  return Change{*runtime, std::move(*lock)};
}

// The app's latest release; an error when it has none.
Result<Release> NeedRelease(CommandContext& ctx, const std::string& app) {
  auto release = ctx.services.store.LatestRelease(app);
  if (!release) return std::unexpected(release.error());
  if (!*release) return InvalidArgument(fmt::format("{} has no release yet: git push it first", app));
  return **release;
}

// An error naming the types the release has, unless it has `type`.
Result<void> NeedProcessType(const std::string& app, const Release& release, const std::string& type) {
  if (type != "release" && release.process_types.contains(type)) return {};
  std::string types;
  for (const auto& [t, c] : release.process_types) {
    if (t != "release") types += (types.empty() ? "" : ", ") + t;
  }
  return InvalidArgument(fmt::format("{} has no process type '{}' (it has: {})", app, type.substr(0, 64), types));
}

std::string SizeOf(const std::map<std::string, std::string>& sizes, const std::string& type,
                   const Settings& settings) {
  auto it = sizes.find(type);
  return it == sizes.end() ? settings.default_size : it->second;
}

Result<void> Ps(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto runtime = NeedRuntime(ctx);
  if (!runtime) return std::unexpected(runtime.error());
  auto processes = (*runtime)->Ps(app);
  if (!processes) return std::unexpected(processes.error());
  auto sizes = ctx.services.store.GetProcessSizes(app);
  if (!sizes) return std::unexpected(sizes.error());
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& p : *processes) {
      auto tasks = nlohmann::json::array();
      for (const auto& t : p.tasks) {
        tasks.push_back({{"name", t.name}, {"node", t.node}, {"state", t.state}, {"release", t.release},
                         {"since", t.since}});
      }
      list.push_back({{"type", p.type}, {"command", p.command}, {"desired", p.desired}, {"running", p.running},
                      {"size", SizeOf(*sizes, p.type, ctx.services.settings)}, {"tasks", tasks}});
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  if (processes->empty()) {
    ctx.out.Write(fmt::format("{} has no processes: git push it first.\n", app));
    return {};
  }
  for (const auto& p : *processes) {
    ctx.out.Write(fmt::format("=== {} ({}/{} running, {}): {}\n", p.type, p.running, p.desired,
                              SizeOf(*sizes, p.type, ctx.services.settings), p.command));
    for (const auto& t : p.tasks) {
      ctx.out.Write(fmt::format("{}: {} since {} on {} ({})\n", t.name, t.state, t.since, t.node, t.release));
    }
  }
  return {};
}

Result<void> PsScale(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto change = StartChange(ctx, app);
  if (!change) return std::unexpected(change.error());
  Runtime* runtime = change->runtime;
  auto release = NeedRelease(ctx, app);
  if (!release) return std::unexpected(release.error());
  Formation changes;
  for (size_t i = 1; i < args.positional.size(); ++i) {
    const std::string& pair = args.positional[i];
    auto eq = pair.find('=');
    std::string type = pair.substr(0, eq);
    std::string count = eq == std::string::npos ? "" : pair.substr(eq + 1);
    int n = 0;
    bool ok = !count.empty() && count.size() <= 3;
    for (char c : count) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) n = n * 10 + (c - '0');
    }
    if (!ok || n > kMaxReplicas) {
      return InvalidArgument(fmt::format("'{}' is not TYPE=N with N from 0 to {}", pair.substr(0, 64), kMaxReplicas));
    }
    if (auto r = NeedProcessType(app, *release, type); !r) return r;
    changes[type] = n;
  }
  auto before = ctx.services.store.GetFormation(app);
  if (!before) return std::unexpected(before.error());
  if (auto r = ctx.services.store.SetFormation(app, changes); !r) return r;
  Output& progress = ctx.json ? ctx.err : ctx.out;
  if (auto r = runtime->Scale(app, progress); !r) {
    // Back to what ran before.
    Formation undo = *before;
    for (const auto& [t, n] : changes) undo.try_emplace(t, t == "web" ? 1 : 0);
    (void)ctx.services.store.SetFormation(app, undo);
    (void)runtime->Scale(app, progress);
    RefreshRoutes(ctx, app);
    return r;
  }
  RefreshRoutes(ctx, app);
  std::string text;
  for (const auto& [t, n] : changes) text += fmt::format("{}{}={}", text.empty() ? "" : " ", t, n);
  Audit(ctx, app, text);
  if (ctx.json) {
    ctx.out.Write(JsonLine(nlohmann::json(changes)));
  } else {
    ctx.out.Write(fmt::format("Scaled {}: {}.\n", app, text));
  }
  return {};
}

Result<void> PsSizes(CommandContext& ctx, const Args&) {
  const std::string& fallback = ctx.services.settings.default_size;
  if (ctx.json) {
    auto list = nlohmann::json::array();
    for (const auto& s : ProcessSizes()) {
      list.push_back({{"name", s.name}, {"memory_mb", s.memory_mb}, {"cpus", s.cpus},
                      {"max_processes", s.max_processes}, {"default", s.name == fallback}});
    }
    ctx.out.Write(JsonLine(list));
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : ProcessSizes()) {
    rows.push_back({std::string(s.name), fmt::format("{} MB", s.memory_mb), fmt::format("{:g}", s.cpus),
                    std::to_string(s.max_processes)});
  }
  ctx.out.Write(FormatTable({"SIZE", "MEMORY", "CPUS", "PROCESSES"}, rows));
  ctx.out.Write(fmt::format("Processes without a size, the release phase and one-off runs (unless `run APP --size "
                            "SIZE`) run at {} (default_size). CPUs are a quota, at most the host's.\n",
                            fallback));
  return {};
}

// ps:resize APP: each type's size.
Result<void> ShowSizes(CommandContext& ctx, const std::string& app) {
  auto release = NeedRelease(ctx, app);
  if (!release) return std::unexpected(release.error());
  auto sizes = ctx.services.store.GetProcessSizes(app);
  if (!sizes) return std::unexpected(sizes.error());
  nlohmann::json json = nlohmann::json::object();
  std::vector<std::vector<std::string>> rows;
  for (const auto& [type, command] : release->process_types) {
    if (type == "release") continue;
    std::string size = SizeOf(*sizes, type, ctx.services.settings);
    json[type] = size;
    rows.push_back({type, size});
  }
  ctx.out.Write(ctx.json ? JsonLine(json) : FormatTable({"TYPE", "SIZE"}, rows));
  return {};
}

Result<void> PsResize(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  if (args.positional.size() == 1) return ShowSizes(ctx, app);
  auto change = StartChange(ctx, app);
  if (!change) return std::unexpected(change.error());
  auto release = NeedRelease(ctx, app);
  if (!release) return std::unexpected(release.error());
  std::map<std::string, std::string> changes;
  for (size_t i = 1; i < args.positional.size(); ++i) {
    const std::string& pair = args.positional[i];
    auto eq = pair.find('=');
    if (eq == std::string::npos) {
      return InvalidArgument(fmt::format("'{}' is not TYPE=SIZE (sizes: {})", pair.substr(0, 64), ProcessSizeNames()));
    }
    std::string type = pair.substr(0, eq);
    std::string size = pair.substr(eq + 1);
    if (auto r = NeedProcessType(app, *release, type); !r) return r;
    if (!FindProcessSize(size)) {
      return InvalidArgument(fmt::format("'{}' is not a size (sizes: {}; ps:sizes shows what each gives)",
                                         size.substr(0, 64), ProcessSizeNames()));
    }
    changes[type] = size;
  }
  auto before = ctx.services.store.GetProcessSizes(app);
  if (!before) return std::unexpected(before.error());
  if (auto r = ctx.services.store.SetProcessSizes(app, changes); !r) return r;
  Output& progress = ctx.json ? ctx.err : ctx.out;
  if (auto r = change->runtime->Scale(app, progress); !r) {
    // Back to the sizes that ran before.
    auto undo = *before;
    for (const auto& [t, s] : changes) undo.try_emplace(t, ctx.services.settings.default_size);
    (void)ctx.services.store.SetProcessSizes(app, undo);
    (void)change->runtime->Scale(app, progress);
    RefreshRoutes(ctx, app);
    return r;
  }
  RefreshRoutes(ctx, app);
  std::string text;
  for (const auto& [t, s] : changes) text += fmt::format("{}{}={}", text.empty() ? "" : " ", t, s);
  Audit(ctx, app, text);
  if (ctx.json) {
    ctx.out.Write(JsonLine(nlohmann::json(changes)));
  } else {
    ctx.out.Write(fmt::format("Resized {}: {}.\n", app, text));
  }
  return {};
}

Result<void> PsRestart(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto change = StartChange(ctx, app);
  if (!change) return std::unexpected(change.error());
  Runtime* runtime = change->runtime;
  std::string type = args.positional.size() > 1 ? args.positional[1] : "";
  if (auto r = runtime->Restart(app, type, ctx.json ? ctx.err : ctx.out); !r) return r;
  Audit(ctx, app, type);
  if (!ctx.json) ctx.out.Write(fmt::format("Restarted {}{}.\n", app, type.empty() ? "" : " " + type));
  return {};
}

Result<void> PsStop(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto change = StartChange(ctx, app);
  if (!change) return std::unexpected(change.error());
  Runtime* runtime = change->runtime;
  auto stopped = runtime->Stop(app, ctx.json ? ctx.err : ctx.out);
  RefreshRoutes(ctx, app);
  if (!stopped) return stopped;
  Audit(ctx, app, "");
  if (!ctx.json) ctx.out.Write(fmt::format("Stopped {}. ps:start {} starts it again.\n", app, app));
  return {};
}

Result<void> PsStart(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto change = StartChange(ctx, app);
  if (!change) return std::unexpected(change.error());
  Runtime* runtime = change->runtime;
  auto started = runtime->Scale(app, ctx.json ? ctx.err : ctx.out);
  RefreshRoutes(ctx, app);
  if (!started) return started;
  Audit(ctx, app, "");
  if (!ctx.json) ctx.out.Write(fmt::format("Started {}.\n", app));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"ps", Ps},
    {"ps:scale", PsScale},
    {"ps:resize", PsResize},
    {"ps:sizes", PsSizes},
    {"ps:restart", PsRestart},
    {"ps:stop", PsStop},
    {"ps:start", PsStart},
};

}  // namespace

std::span<const HandlerEntry> PsHandlers() { return kHandlers; }

}  // namespace ms
