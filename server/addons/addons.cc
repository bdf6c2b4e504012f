#include "server/addons/addons.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "server/addons/postgres_service.h"
#include "server/addons/redis_service.h"
#include "server/builder/builder.h"
#include "server/common/random.h"
#include "server/docker/ownership.h"
#include "server/runtime/service_spec.h"

namespace ms {
namespace {

// Postgres's first start makes its cluster (a few seconds); a start after
// that replays the write-ahead log.
constexpr auto kReadyTimeout = std::chrono::seconds(120);

std::map<std::string, std::string> AppNetworkLabels(const std::string& app, const std::string& install) {
  return {{"mothership.app", app}, {"mothership.install", install}};
}

std::string QuoteIdentifier(const std::string& id) { return "\"" + id + "\""; }

}  // namespace

std::string AddonUrl(const Addon& addon) { return addon.kind == "redis" ? RedisUrl(addon) : DatabaseUrl(addon); }

std::string AddonProduct(const Addon& addon) { return addon.kind == "redis" ? "Redis 7" : "Postgres 15"; }

namespace {

// The app's add-on of a kind: the one attached as `preferred` (NAME of
// NAME_URL), else its only one of that kind.
Result<Addon> AttachedOfKind(Store& store, const std::string& app, const std::string& kind,
                             const std::string& preferred, const std::string& what) {
  auto attached = store.ListAttachments(app);
  if (!attached) return std::unexpected(attached.error());
  std::vector<std::pair<std::string, Addon>> of_kind;  // attachment name, add-on
  for (const auto& a : *attached) {
    auto addon = store.GetAddon(a.addon);
    if (!addon) return std::unexpected(addon.error());
    if (*addon && (*addon)->kind == kind) of_kind.emplace_back(a.name, **addon);
  }
  for (const auto& [as, addon] : of_kind) {
    if (as == preferred) return addon;
  }
  if (of_kind.size() == 1) return of_kind.front().second;
  if (of_kind.empty()) return NotFound(fmt::format("{} has no {}; addons:create {} {} makes one", app, what, app, kind));
  return InvalidArgument(fmt::format("{} has several {} add-ons and none is attached as {}_URL (addons {} lists them)",
                                     app, kind, preferred, app));
}

}  // namespace

Result<Addon> DatabaseOf(Store& store, const std::string& app) {
  return AttachedOfKind(store, app, "postgres", "DATABASE", "database");
}

Result<Addon> RedisOf(Store& store, const std::string& app) {
  return AttachedOfKind(store, app, "redis", "REDIS", "Redis");
}

Result<std::vector<std::string>> Addons::Networks(const Addon& addon) {
  auto attached = store_.AttachmentsOf(addon.name);
  if (!attached) return std::unexpected(attached.error());
  std::vector<std::string> networks;
  for (const auto& a : *attached) {
    if (auto r = docker_.EnsureOverlayNetwork(AppNetworkName(a.app), AppNetworkLabels(a.app, settings_.InstallId()));
        !r) {
      return std::unexpected(r.error());
    }
    networks.push_back(AppNetworkName(a.app));
  }
  return networks;
}

Result<Addon> Addons::Create(Addon addon, const std::string& attach_as, Output& out) {
  const bool redis = addon.kind == "redis";
  if (auto r = builder_.EnsureStackImage(std::string(redis ? kRedisImage : kPostgresImage),
                                         std::string(redis ? kRedisStackDir : kPostgresStackDir), false, out);
      !r) {
    return std::unexpected(r.error());
  }
  auto info = docker_.Info();
  if (!info) return std::unexpected(info.error());
  if (info->node_id.empty()) return Failed("this Docker engine is not a Swarm node; restart mothershipd");
  auto password = RandomHex(24);
  if (!password) return std::unexpected(password.error());
  addon.node_id = info->node_id;
  if (!redis) addon.db_name = addon.db_user = PgIdentifier(addon.app);
  addon.db_password = *password;
  const std::string name = addon.name;
  auto created = store_.CreateAddon(addon, attach_as);
  if (!created) return std::unexpected(created.error());
  // From here a failure removes what was made, the record last.
  auto undo = [&](const Error& error) -> Result<Addon> {
    // The record goes only with what it names (else the daemon removes both
    // at its next start: the record says "creating").
    if (Remove(*created)) (void)store_.DeleteAddon(name);
    return std::unexpected(error);
  };
  auto networks = Networks(*created);
  if (!networks) return undo(networks.error());
  WriteLine(out, fmt::format("Starting {} ({}) on {}'s network ...", AddonProduct(addon), AddonServiceName(name),
                             addon.app));
  auto service = docker_.CreateService(SpecOf(*created, *networks));
  if (!service) return undo(service.error());
  auto ready = WaitReady(*created, kReadyTimeout);
  if (!ready) return undo(ready.error());
  if (!redis) {
    // (CREATE DATABASE cannot run in the same transaction as another statement.)
    auto role = AdminSql(*created, fmt::format("CREATE ROLE {} LOGIN PASSWORD '{}'", QuoteIdentifier(addon.db_user),
                                               addon.db_password));
    if (!role) return undo(role.error());
    auto database = AdminSql(*created, fmt::format("CREATE DATABASE {} OWNER {}", QuoteIdentifier(addon.db_name),
                                                   QuoteIdentifier(addon.db_user)));
    if (!database) return undo(database.error());
  }
  if (auto r = store_.SetAddonState(name, "ready"); !r) return undo(r.error());
  created->state = "ready";
  return *created;
}

ServiceSpec Addons::SpecOf(const Addon& addon, const std::vector<std::string>& networks) const {
  return addon.kind == "redis" ? MakeRedisServiceSpec(addon, settings_.InstallId(), networks)
                               : MakePostgresServiceSpec(addon, settings_.InstallId(), networks);
}

Result<void> Addons::Refresh(const Addon& addon, Output& out) {
  auto networks = Networks(addon);
  if (!networks) return std::unexpected(networks.error());
  auto current = docker_.InspectService(AddonServiceName(addon.name));
  if (!current) return std::unexpected(current.error());
  ServiceSpec spec = SpecOf(addon, *networks);
  if (!*current) {
    WriteLine(out, fmt::format("Starting {} again (its service was gone; its data is in its volume) ...",
                               AddonServiceName(addon.name)));
    if (auto r = docker_.CreateService(spec); !r) return std::unexpected(r.error());
  } else {
    WriteLine(out, fmt::format("Restarting {} on the networks of {} app(s) ...", AddonServiceName(addon.name),
                               networks->size()));
    if (auto r = docker_.UpdateService((*current)->id, (*current)->version, spec); !r) return r;
    // Swarm may replace the task more than once before the update is done
    // (measured: a second task 20 s after the first answered): wait for it.
    auto deadline = clock_.Now() + kReadyTimeout;
    for (;;) {
      auto state = docker_.InspectService(AddonServiceName(addon.name));
      if (!state) return std::unexpected(state.error());
      if (!*state) return Failed(fmt::format("the service {} went away", AddonServiceName(addon.name)));
      const std::string& update = (*state)->update_state;
      // (Swarm clears the status when it takes the update, then says "updating".)
      if (update == "completed") break;
      if (!update.empty() && update != "updating") {
        return Failed(fmt::format("Swarm did not restart {} on its new networks ({}: {})", addon.name, update,
                                  (*state)->update_message));
      }
      if (clock_.Now() > deadline) {
        return Failed(fmt::format("Swarm did not finish restarting {} within {} s", addon.name, kReadyTimeout.count()));
      }
      clock_.SleepFor(std::chrono::milliseconds(250));
    }
  }
  auto ready = WaitReady(addon, kReadyTimeout);
  if (!ready) return std::unexpected(ready.error());
  return {};
}

Result<void> Addons::Ensure(const Addon& addon, Output& out) {
  auto networks = Networks(addon);
  if (!networks) return std::unexpected(networks.error());
  auto current = docker_.InspectService(AddonServiceName(addon.name));
  if (!current) return std::unexpected(current.error());
  if (*current && (*current)->Label("mothership.networks") == SpecOf(addon, *networks).labels.at("mothership.networks")) {
    return {};
  }
  return Refresh(addon, out);
}

Result<int64_t> Addons::DatabaseSize(const Addon& addon) {
  // (The name is a literal here: pg_database_size runs no function of the tenant's.)
  auto size = AdminSql(addon, fmt::format("SELECT pg_catalog.pg_database_size('{}')", addon.db_name));
  if (!size) return std::unexpected(size.error());
  try {
    return std::stoll(*size);
  } catch (const std::exception&) {
    return Failed(fmt::format("Postgres of {} gave no size ('{}')", addon.name, size->substr(0, 64)));
  }
}

Result<void> Addons::Remove(const Addon& addon) {
  const std::string service = AddonServiceName(addon.name);
  auto found = docker_.InspectService(service);
  if (!found) return std::unexpected(found.error());
  if (*found) {
    if (auto r = docker_.RemoveService(service); !r) return r;
  }
  // A task of a removed service lives on (desired state "remove") until its
  // container has stopped, and one still starting makes the volume after this
  // point (measured: removed 0.2 s after its service was made, the volume was
  // there 6 s later): wait for the tasks to go first, found by their
  // containers' labels (the service may be gone already). Postgres has 60 s to
  // stop.
  const Labels mine = {{"mothership.addon", addon.name}, {"mothership.install", settings_.InstallId()}};
  auto deadline = clock_.Now() + std::chrono::seconds(90);
  for (;;) {
    auto tasks = docker_.ListTasks({{"desired-state", {"remove"}}});
    if (!tasks) return std::unexpected(tasks.error());
    if (std::none_of(tasks->begin(), tasks->end(),
                     [&](const TaskInfo& t) { return HasLabels(t.container_labels, mine); })) {
      break;
    }
    if (clock_.Now() > deadline) {
      return Failed(fmt::format("the task of {} did not stop within 90 s (`docker ps -a --filter "
                                "label=mothership.addon={}` shows its container; run the command again once it is "
                                "gone)",
                                addon.name, addon.name));
    }
    clock_.SleepFor(std::chrono::milliseconds(250));
  }
  // The volume is in use until the task's container is gone.
  const std::string volume = AddonVolumeName(settings_.InstallId(), addon.name);
  for (;;) {
    auto r = docker_.RemoveVolume(volume);
    if (r || r.error().code == ErrorCode::kNotFound) return {};
    if (clock_.Now() > deadline) {
      return Failed(fmt::format("cannot remove the volume {} of {}: {}", volume, addon.name, r.error().message));
    }
    clock_.SleepFor(std::chrono::milliseconds(250));
  }
}

Result<std::string> Addons::RunningContainer(const Addon& addon) {
  auto containers = docker_.ListContainers("com.docker.swarm.service.name=" + AddonServiceName(addon.name));
  if (!containers) return std::unexpected(containers.error());
  for (const auto& c : *containers) {
    auto info = docker_.InspectContainer(c.id);
    if (info && info->running) return c.id;
  }
  return Unavailable(fmt::format("the add-on {} is not running on this node now (docker service ps {} says why)",
                                 addon.name, AddonServiceName(addon.name)));
}

Result<std::string> Addons::WaitReady(const Addon& addon, std::chrono::seconds timeout) {
  const bool redis = addon.kind == "redis";
  auto deadline = clock_.Now() + timeout;
  std::string last = "no task yet";
  for (;;) {
    auto id = RunningContainer(addon);
    if (id) {
      std::string said;
      const std::vector<std::string> probe =
          redis ? std::vector<std::string>{"/usr/local/bin/mothership-redis", "cli", "ping"}
                : std::vector<std::string>{"pg_isready", "-h", "/var/run/postgresql"};
      auto status = docker_.Exec(*id, probe, [&](std::string_view line) { said = std::string(line); });
      if (status && *status == 0 && (!redis || said == "PONG")) {
        // Up; and the apps' network must know its name (after a restart
        // the overlay's DNS learns the new task a moment later).
        NullOutput quiet;
        RunIO io;
        io.out = io.err = &quiet;
        const std::string wait =
            redis ? fmt::format("i=0; until [ \"$(redis-cli -h {} -p {} ping 2>/dev/null)\" = PONG ]; do i=$((i+1)); "
                                "[ $i -ge 240 ] && exit 1; sleep 0.25; done",
                                AddonServiceName(addon.name), kRedisPort)
                  : "i=0; until pg_isready -q; do i=$((i+1)); [ $i -ge 240 ] && exit 1; sleep 0.25; done";
        auto reachable = RunClient(addon, addon.app, {"sh", "-c", wait}, io);
        if (reachable && *reachable == 0) return *id;
        last = fmt::format("its name {} does not resolve on {}'s network", AddonServiceName(addon.name), addon.app);
        if (clock_.Now() > deadline) break;
        continue;
      }
      last = status ? said : status.error().message;
    } else {
      last = id.error().message;
    }
    if (clock_.Now() > deadline) break;
    clock_.SleepFor(std::chrono::milliseconds(250));
  }
  return Failed(fmt::format("{} of {} did not answer within {} s ({})", redis ? "Redis" : "Postgres", addon.name,
                            timeout.count(), last));
}

Result<std::string> Addons::RedisCommand(const Addon& addon, const std::vector<std::string>& args) {
  auto id = RunningContainer(addon);
  if (!id) return std::unexpected(id.error());
  std::vector<std::string> cmd = {"/usr/local/bin/mothership-redis", "cli"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  std::string output, errors;
  auto status = docker_.Exec(
      *id, cmd, [&](std::string_view line) { errors += std::string(line) + "\n"; },
      [&](std::string_view data) {
        output.append(data);
        return output.size() < (1 << 20);
      });
  if (!status) return std::unexpected(status.error());
  if (*status != 0) {
    return Failed(fmt::format("Redis of {} refused: {}", addon.name, errors.empty() ? "(no message)" : errors));
  }
  return output;
}

Result<std::string> Addons::AdminSql(const Addon& addon, const std::string& sql) {
  auto id = RunningContainer(addon);
  if (!id) return std::unexpected(id.error());
  std::string output, errors;
  auto status = docker_.Exec(
      *id,
      {"psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "/var/run/postgresql", "-U", "postgres", "-d",
       "postgres", "-c", sql},
      [&](std::string_view line) { errors += std::string(line) + "\n"; },
      [&](std::string_view data) {
        output.append(data);
        return output.size() < (1 << 20);
      });
  if (!status) return std::unexpected(status.error());
  if (*status != 0) {
    return Failed(fmt::format("Postgres of {} refused: {}", addon.name, errors.empty() ? "(no message)" : errors));
  }
  return output;
}

Result<int> Addons::RunClient(const Addon& addon, const std::string& app, const std::vector<std::string>& argv,
                              RunIO io, const std::filesystem::path& dump_dir) {
  ContainerSpec spec;
  spec.cmd = argv;
  if (addon.kind == "redis") {
    spec.image = std::string(kRedisImage);
    spec.env = {"REDISCLI_AUTH=" + addon.db_password};
    // redis-cli has no host variable: the client's first words name it.
    if (!spec.cmd.empty() && spec.cmd.front() == "redis-cli") {
      spec.cmd.insert(spec.cmd.begin() + 1, {"-h", AddonServiceName(addon.name), "-p", std::to_string(kRedisPort)});
    }
  } else {
    spec.image = std::string(kPostgresImage);
    spec.env = {"PGHOST=" + AddonServiceName(addon.name), fmt::format("PGPORT={}", kPostgresPort),
                "PGUSER=" + addon.db_user, "PGPASSWORD=" + addon.db_password, "PGDATABASE=" + addon.db_name,
                "PGCONNECT_TIMEOUT=10"};
  }
  spec.labels = {{"mothership.install", settings_.InstallId()},
                 {"mothership.addon", addon.name},
                 {"mothership.role", "addon-client"}};
  spec.network_mode = AppNetworkName(app);
  spec.limits = ResourceLimits{int64_t{1} << 30, kNanosPerSecond, 256, 0};
  spec.cap_drop = {"ALL"};
  spec.no_new_privileges = true;
  if (!dump_dir.empty()) {
    spec.binds = {dump_dir.string() + ":/dump"};
    spec.user = fmt::format("{}:{}", ::getuid(), ::getgid());
  }
  return RunOneOff(docker_, std::move(spec), io);
}

}  // namespace ms
