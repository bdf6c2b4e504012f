#include "server/docker/image_ref.h"
#include "server/runtime/runtime.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "server/common/output.h"
#include "server/common/log.h"
#include "server/common/shell_words.h"
#include "server/config/process_sizes.h"
#include "server/docker/ownership.h"
#include "server/runtime/service_spec.h"
#include "server/runtime/storage_spec.h"

namespace ms {
namespace {

int DefaultReplicas(const std::string& type) { return type == "web" ? 1 : 0; }

// The process types that run as services: all but `release`.
std::map<std::string, std::string> ServiceTypes(const Release& release) {
  auto types = release.process_types;
  types.erase("release");
  return types;
}

bool Desired(const TaskInfo& task) { return task.desired_state == "running"; }

// The engine's wall clock, which its events API takes: the engine runs on this host.
int64_t UnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How long after a SIGKILL exit the engine's "oom" event may still come.
constexpr int64_t kOomEventSeconds = 3;

EngineFilters InstallFilter(const std::string& install) { return {{"label", {"mothership.install=" + install}}}; }

EngineFilters AppFilter(const std::string& app, const std::string& install) {
  return {{"label", {"mothership.app=" + app, "mothership.install=" + install}}};
}

bool IsLoopbackHost(const std::string& host) {
  return host.starts_with("127.") || host == "::1" || host == "[::1]" || host == "localhost";
}

}  // namespace

ResourceLimits Runtime::Limits(const std::string& size) const {
  const ProcessSize* found = FindProcessSize(size);
  if (!found) found = FindProcessSize(settings_.default_size);
  if (!found) found = FindProcessSize(kDefaultProcessSize);
  return LimitsOf(*found, std::thread::hardware_concurrency());
}

std::map<std::string, std::string> Runtime::Labels(const std::string& app) const {
  return {{"mothership.app", app}, {"mothership.install", settings_.InstallId()}};
}

Result<bool> EnsureSwarmManager(DockerClient& docker, const Settings& settings) {
  auto info = docker.Info();
  if (!info) return std::unexpected(info.error());
  const std::string& state = info->swarm_state;
  if (state == "inactive") {
    LogInfo("initialising Docker Swarm on this engine");
    auto r = docker.SwarmInit(settings.swarm_advertise_addr);
    // Only when Docker cannot choose this host's address (several, or none):
    // any other failure (a slow engine, another daemon's init under way) must
    // not leave a swarm that no other node can join.
    if (!r && settings.swarm_advertise_addr.empty() &&
        r.error().message.find("advertise") != std::string::npos) {
      LogWarn("Docker could not choose this host's address for Swarm ({}); advertising 127.0.0.1: no other node "
              "can join until it is changed (nodes:join-command says how)",
              r.error().message);
      r = docker.SwarmInit("127.0.0.1");
    }
    if (!r && r.error().message.find("already part of a swarm") == std::string::npos) {
      // The engine may have finished the init this call stopped waiting for.
      auto now = docker.Info();
      if (now && now->swarm_state == "active" && now->control_available) return true;
      return Failed(fmt::format("cannot initialise Docker Swarm: {} (set swarm_advertise_addr to this host's "
                                "address)",
                                r.error().message));
    }
    return true;
  }
  if (state != "active") {
    return Unavailable(fmt::format("this Docker engine's Swarm state is '{}'; it must be an active manager", state));
  }
  if (!info->control_available) {
    return Failed("this Docker engine is a Swarm worker; run mothershipd next to a manager");
  }
  return false;
}

Result<void> Runtime::EnsureSwarm() {
  std::lock_guard lock(mu_);
  if (swarm_ready_) return {};
  auto r = EnsureSwarmManager(docker_, settings_);
  if (!r) return std::unexpected(r.error());
  swarm_ready_ = true;
  return {};
}

Result<void> Runtime::EnsureNetworks(const std::string& app) {
  if (auto r = EnsureSwarm(); !r) return r;
  auto net = docker_.EnsureOverlayNetwork(AppNetworkName(app), Labels(app));
  if (!net && net.error().code == ErrorCode::kAlreadyExists) {
    return AlreadyExists(fmt::format("{}; Mothership leaves it alone. Remove it, or give the app another name "
                                     "(apps:rename)",
                                     net.error().message));
  }
  if (!net) return std::unexpected(net.error());
  return {};
}

Result<std::vector<Runtime::Rollout>> Runtime::Apply(const std::string& app, const Release& release,
                                                     const Formation& formation, const std::string& restart_type,
                                                     bool stop) {
  auto check = store_.GetCheckPath(app);
  if (!check) return std::unexpected(check.error());
  auto sizes = store_.GetProcessSizes(app);
  if (!sizes) return std::unexpected(sizes.error());
  auto mounts = store_.ListStorageMounts(app);
  if (!mounts) return std::unexpected(mounts.error());
  std::vector<Rollout> rollouts;
  for (const auto& [type, command] : ServiceTypes(release)) {
    ProcessSpec p;
    p.app = app;
    p.install = settings_.InstallId();
    p.type = type;
    p.command = command;
    auto it = formation.find(type);
    p.replicas = it == formation.end() ? DefaultReplicas(type) : it->second;
    p.release = &release;
    p.check_path = *check;
    p.app_network = AppNetworkName(app);
    p.stop_grace_seconds = settings_.stop_grace_seconds;
    p.update_monitor_seconds = settings_.update_monitor_seconds;
    auto size = sizes->find(type);
    p.size = size == sizes->end() ? settings_.default_size : size->second;
    p.limits = Limits(p.size);
    p.stopped = stop;
    for (const auto& m : *mounts) {
      p.storage.push_back(BindMount{StorageVolumeName(settings_.InstallId(), app, m.name), m.path, false, true});
      p.storage_node = m.node_id;
    }
    Rollout rollout;
    rollout.app = app;
    rollout.type = type;
    rollout.service = ServiceName(app, type);
    rollout.replicas = stop ? 0 : p.replicas;
    rollout.release = fmt::format("v{}", release.version);
    auto existing = docker_.InspectService(rollout.service);
    if (!existing) return std::unexpected(existing.error());
    if (*existing) {
      const ServiceInfo& svc = **existing;
      if (auto owner = ForeignOwner(svc.labels, settings_.InstallId(), app); !owner.empty()) {
        return AlreadyExists(fmt::format(
            "the Docker service {} belongs to {}; Mothership leaves it alone. Remove it, or give the app "
            "another name (apps:rename)",
            rollout.service, owner));
      }
      p.force_update = svc.force_update;
      if (restart_type == "*" || restart_type == type) ++p.force_update;
      rollout.id = svc.id;
      rollout.force_update = p.force_update;
      if (auto r = docker_.UpdateService(rollout.id, svc.version, MakeServiceSpec(p)); !r) {
        return std::unexpected(r.error());
      }
    } else {
      auto id = docker_.CreateService(MakeServiceSpec(p));
      if (!id) return std::unexpected(id.error());
      rollout.id = *id;
      rollout.created = true;
    }
    rollouts.push_back(rollout);
  }
  return rollouts;
}

Result<void> Runtime::Converge(const std::vector<Rollout>& rollouts, Output& out) {
  auto deadline = clock_.Now() + std::chrono::seconds(settings_.deploy_timeout_seconds);
  std::set<std::string> done;
  std::string failure;
  std::string failed_task;
  std::map<std::string, int> reported;
  std::set<std::string> announced;  // web services whose new tasks the proxy was told of
  while (done.size() < rollouts.size() && failure.empty()) {
    for (const auto& r : rollouts) {
      if (done.contains(r.service)) continue;
      auto svc = docker_.InspectService(r.id);
      if (!svc) return std::unexpected(svc.error());
      if (!*svc) {
        failure = fmt::format("the service {} disappeared", r.service);
        break;
      }
      const std::string& update = (*svc)->update_state;
      auto tasks = docker_.ListTasks({{"service", {r.service}}});
      if (!tasks) return std::unexpected(tasks.error());
      int fresh_running = 0, stale_running = 0, fresh_failed = 0;
      const TaskInfo* last_failed = nullptr;
      std::vector<std::string> fresh_addresses;
      for (const auto& t : *tasks) {
        bool fresh = t.release == r.release && t.force_update == r.force_update;
        const std::string& state = t.state;
        if (fresh && (state == "failed" || state == "rejected")) {
          ++fresh_failed;
          if (!last_failed || t.updated_at > last_failed->updated_at) last_failed = &t;
        }
        if (!Desired(t)) continue;
        if (fresh && state == "running") {
          ++fresh_running;
          if (auto a = t.addresses.find(AppNetworkName(r.app)); a != t.addresses.end()) {
            fresh_addresses.push_back(a->second);
          }
        }
        if (!fresh && (state == "running" || state == "starting")) ++stale_running;
      }
      // Healthy tasks (Swarm says running only once the check passed) of the
      // new spec, as many as there should be: the proxy may switch to them
      // now, before Swarm stops the old ones and its DNS says so.
      if (web_ready_ && r.type == "web" && r.replicas > 0 && fresh_running == r.replicas &&
          fresh_addresses.size() == size_t(r.replicas) && !announced.contains(r.service)) {
        announced.insert(r.service);
        web_ready_(r.app, fresh_addresses);
      }
      if (reported[r.service] != fresh_running && r.replicas > 0) {
        reported[r.service] = fresh_running;
        out.Write(fmt::format("       {}: {}/{} running {}\n", r.service, fresh_running, r.replicas, r.release));
      }
      bool rolling_back = update.starts_with("rollback") || update == "paused";
      bool gave_up = r.created && fresh_failed >= 3;
      if (rolling_back || gave_up || clock_.Now() > deadline) {
        if (last_failed) {
          failed_task = last_failed->id;
          failure = fmt::format("{}: a new task failed: {}", r.service, last_failed->Why());
        } else if (rolling_back) {
          const std::string& why = (*svc)->update_message;
          failure = fmt::format("{}: {}", r.service, why.empty() ? "the update failed" : why);
        } else {
          failure = fmt::format("{}: not running and healthy after {} s (deploy_timeout_seconds)", r.service,
                                settings_.deploy_timeout_seconds);
        }
        break;
      }
      bool converged = fresh_running == r.replicas && stale_running == 0;
      bool update_over = r.created || update.empty() || update == "completed";
      if (converged && update_over) done.insert(r.service);
    }
    if (done.size() < rollouts.size() && failure.empty()) clock_.SleepFor(std::chrono::milliseconds(50));
  }
  if (failure.empty()) return {};

  std::string logs;
  if (!failed_task.empty()) {
    auto text = docker_.TaskLogs(failed_task, 20);
    if (text && !text->empty()) logs = *text;
  }
  // Undo: new services go; updated ones return to their previous spec (Swarm
  // has already started that for the one that failed).
  for (const auto& r : rollouts) {
    if (r.created) {
      (void)docker_.RemoveService(r.id);
      continue;
    }
    auto svc = docker_.InspectService(r.id);
    if (!svc || !*svc) continue;
    if (!(*svc)->update_state.starts_with("rollback")) (void)docker_.RollbackService(r.id);
  }
  std::string message = failure;
  if (!logs.empty()) {
    message += "\nThe last lines it printed:\n";
    for (size_t start = 0; start < logs.size();) {
      size_t nl = logs.find('\n', start);
      if (nl == std::string::npos) nl = logs.size();
      message += "       " + logs.substr(start, nl - start) + "\n";
      start = nl + 1;
    }
  }
  return Failed(message);
}

Result<void> Runtime::Deploy(const std::string& app, const Release& release, Output& out) {
  if (auto r = EnsureNetworks(app); !r) return r;
  if (auto it = release.process_types.find("release"); it != release.process_types.end()) {
    out.Write(fmt::format("-----> Running the release command: {}\n", it->second));
    RunIO io;
    io.out = &out;
    io.err = &out;
    auto code = RunContainer(app, release, "release", it->second, io);
    if (!code) return std::unexpected(code.error());
    if (*code != 0) {
      return Failed(fmt::format("the release command failed (exit status {}); nothing was changed", *code));
    }
  }
  auto mounts = store_.ListStorageMounts(app);
  if (!mounts) return std::unexpected(mounts.error());
  out.Write(fmt::format("-----> Rolling out v{}{}\n", release.version,
                        mounts->empty() ? ""
                                        : " stop-first: storage is mounted, and two releases never write the same "
                                          "volume (each process stops before its new one starts)"));
  return ApplyRelease(app, release, out);
}

Result<void> Runtime::ApplyRelease(const std::string& app, const Release& release, Output& out) {
  auto formation = store_.GetFormation(app);
  if (!formation) return std::unexpected(formation.error());
  auto rollouts = Apply(app, release, *formation, "");
  if (!rollouts) return std::unexpected(rollouts.error());
  if (auto r = Converge(*rollouts, out); !r) return r;
  // Process types this release no longer has.
  auto services = docker_.ListServices(AppFilter(app, settings_.InstallId()));
  if (services) {
    auto types = ServiceTypes(release);
    for (const auto& s : *services) {
      if (!types.contains(s.Label("mothership.process"))) (void)docker_.RemoveService(s.id);
    }
  }
  return {};
}

Result<std::string> Runtime::Differs(const std::string& app, const std::vector<ServiceInfo>& services,
                                     const Release& release) {
  auto formation = store_.GetFormation(app);
  if (!formation) return std::unexpected(formation.error());
  auto sizes = store_.GetProcessSizes(app);
  if (!sizes) return std::unexpected(sizes.error());
  const std::string version = fmt::format("v{}", release.version);
  const auto types = ServiceTypes(release);
  std::set<std::string> seen;
  for (const auto& s : services) {
    const std::string type = s.Label("mothership.process");
    seen.insert(type);
    if (!types.contains(type)) return fmt::format("{} is not a process type of v{}", s.name, release.version);
    if (s.Label("mothership.release") != version) {
      return fmt::format("{} runs {}, not v{}", s.name, s.Label("mothership.release"), release.version);
    }
    // A service an older version made carries no size and no stopped mark:
    // only its release can be compared.
    if (!s.labels.contains("mothership.size")) continue;
    auto count = formation->find(type);
    int want = s.Label("mothership.stopped") == "true" ? 0
               : count == formation->end()              ? DefaultReplicas(type)
                                                        : count->second;
    if (s.replicas != want) return fmt::format("{} has {} tasks, not {}", s.name, s.replicas, want);
    auto size = sizes->find(type);
    std::string want_size = size == sizes->end() ? settings_.default_size : size->second;
    if (s.Label("mothership.size") != want_size) {  // ps:resize
      return fmt::format("{} is {}, not {}", s.name, s.Label("mothership.size"), want_size);
    }
  }
  for (const auto& [type, command] : types) {
    if (!seen.contains(type)) return fmt::format("{} has no service", ServiceName(app, type));
  }
  return std::string();
}

Result<void> Runtime::RollCurrent(const std::string& app, const std::string& restart_type, bool stop, Output& out) {
  auto release = store_.LatestRelease(app);
  if (!release) return std::unexpected(release.error());
  if (!*release) return InvalidArgument(fmt::format("{} has no release yet: git push it first", app));
  if (!restart_type.empty() && restart_type != "*" && !ServiceTypes(**release).contains(restart_type)) {
    return InvalidArgument(fmt::format("{} has no process type '{}'", app, restart_type));
  }
  auto formation = store_.GetFormation(app);
  if (!formation) return std::unexpected(formation.error());
  if (auto r = EnsureNetworks(app); !r) return r;
  auto rollouts = Apply(app, **release, *formation, restart_type, stop);
  if (!rollouts) return std::unexpected(rollouts.error());
  return Converge(*rollouts, out);
}

Result<void> Runtime::Scale(const std::string& app, Output& out) { return RollCurrent(app, "", false, out); }

Result<void> Runtime::Restart(const std::string& app, const std::string& type, Output& out) {
  return RollCurrent(app, type.empty() ? "*" : type, false, out);
}

Result<void> Runtime::Stop(const std::string& app, Output& out) { return RollCurrent(app, "", true, out); }

Result<std::vector<ProcessState>> Runtime::Ps(const std::string& app) {
  auto release = store_.LatestRelease(app);
  if (!release) return std::unexpected(release.error());
  std::vector<ProcessState> out;
  if (!*release) return out;
  auto nodes = docker_.ListNodes();
  std::map<std::string, std::string> hostnames;
  if (nodes) {
    for (const auto& n : *nodes) hostnames[n.id] = n.hostname;
  }
  for (const auto& [type, command] : ServiceTypes(**release)) {
    ProcessState p;
    p.type = type;
    p.command = command;
    auto svc = docker_.InspectService(ServiceName(app, type));
    if (!svc) return std::unexpected(svc.error());
    if (*svc) p.desired = (*svc)->replicas;
    auto tasks = docker_.ListTasks({{"service", {ServiceName(app, type)}}, {"desired-state", {"running"}}});
    if (!tasks) return std::unexpected(tasks.error());
    for (const auto& t : *tasks) {
      TaskState ts;
      ts.name = fmt::format("{}.{}", type, t.slot);
      ts.node = hostnames[t.node_id];
      ts.state = t.state;
      ts.release = t.release;
      ts.since = t.timestamp;
      if (ts.state == "running") ++p.running;
      p.tasks.push_back(ts);
    }
    std::sort(p.tasks.begin(), p.tasks.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    out.push_back(p);
  }
  return out;
}

Result<void> Runtime::Logs(const std::string& app, int n, bool follow, const std::string& type, Output& out,
                           const std::function<bool()>& cancelled) {
  auto release = store_.LatestRelease(app);
  if (!release) return std::unexpected(release.error());
  if (!*release) return InvalidArgument(fmt::format("{} has no release yet: git push it first", app));
  std::vector<std::string> types;
  for (const auto& [t, command] : ServiceTypes(**release)) {
    if (type.empty() || t == type) types.push_back(t);
  }
  if (types.empty()) return InvalidArgument(fmt::format("{} has no process type '{}'", app, type));

  // Task id -> "web.1", refreshed when an unknown task shows up.
  std::mutex mu;
  std::map<std::string, std::string> names;
  auto name_of = [&](const std::string& task_id, const std::string& fallback) {
    std::lock_guard lock(mu);
    if (!names.contains(task_id)) {
      for (const auto& t : types) {
        auto tasks = docker_.ListTasks({{"service", {ServiceName(app, t)}}});
        if (!tasks) continue;
        for (const auto& task : *tasks) names[task.id] = fmt::format("{}.{}", t, task.slot);
      }
    }
    auto it = names.find(task_id);
    return it == names.end() ? fallback : it->second;
  };
  // A line: "TIMESTAMP DETAILS MESSAGE" (details: "k=v,k=v"), or details first.
  auto format = [&](std::string_view line, const std::string& t) -> std::pair<std::string, std::string> {
    std::string time, task, rest(line);
    for (int i = 0; i < 2; ++i) {
      auto sp = rest.find(' ');
      std::string word = rest.substr(0, sp);
      if (word.find("com.docker.swarm.task.id=") != std::string::npos) {
        auto at = word.find("com.docker.swarm.task.id=") + 25;
        task = word.substr(at, word.find(',', at) - at);
      } else if (!word.empty() && std::isdigit(static_cast<unsigned char>(word[0])) && word.back() == 'Z') {
        time = word;
      } else {
        break;
      }
      rest = sp == std::string::npos ? "" : rest.substr(sp + 1);
    }
    return {time, fmt::format("{} {}[{}]: {}\n", time, app, name_of(task, t), rest)};
  };

  // The last n lines of every type, merged by time.
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto& t : types) {
    auto r = docker_.ServiceLogs(
        ServiceName(app, t), n, false, [&](std::string_view line) { lines.push_back(format(line, t)); }, cancelled);
    if (!r && r.error().code != ErrorCode::kNotFound) return r;
  }
  std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t skip = lines.size() > size_t(n) ? lines.size() - size_t(n) : 0;
  for (size_t i = skip; i < lines.size(); ++i) out.Write(lines[i].second);
  if (!follow) return {};

  // Then new lines as they come, from every type at once.
  std::vector<std::thread> threads;
  std::mutex out_mu;
  for (const auto& t : types) {
    threads.emplace_back([&, t] {
      (void)docker_.ServiceLogs(
          ServiceName(app, t), 0, true,
          [&](std::string_view line) {
            auto formatted = format(line, t);
            std::lock_guard lock(out_mu);
            out.Write(formatted.second);
          },
          cancelled);
    });
  }
  for (auto& th : threads) th.join();
  return {};
}

bool Runtime::OomKilled(const std::string& container, int64_t started) {
  auto info = docker_.InspectContainer(container);
  if (info && info->oom_killed) return true;
  // The engine may learn of the OOM kill only after the exit (its "oom" event
  // and the exit come from separate watchers), and then State.OOMKilled stays
  // false: its event says so, within moments. A SIGKILL from elsewhere waits
  // out those seconds.
  auto event = docker_.OomEvent(container, started - 1, UnixSeconds() + kOomEventSeconds);
  return event && *event;
}

Result<int> Runtime::RunContainer(const std::string& app, const Release& release, const std::string& role,
                                  const std::string& command, RunIO io) {
  // By its digest when the release has one: the tag may have been pushed over.
  auto pull = SplitPullRef(release.image);
  if (auto r = docker_.PullImage(pull.repo, pull.ref, nullptr); !r) return std::unexpected(r.error());
  ContainerSpec spec;
  spec.image = release.image;
  spec.cmd = {command};
  for (const auto& [k, v] : release.config) spec.env.push_back(k + "=" + v);
  spec.env.push_back(fmt::format("PORT={}", kAppPort));
  spec.env.push_back("MOTHERSHIP_APP=" + app);
  spec.env.push_back(fmt::format("MOTHERSHIP_RELEASE=v{}", release.version));
  spec.env.push_back("MOTHERSHIP_PROCESS=" + role);
  spec.env.push_back("DYNO=" + role + ".1");
  spec.labels = Labels(app);
  spec.labels["mothership.role"] = role;
  spec.network_mode = AppNetworkName(app);
  const std::string size = io.size.empty() ? settings_.default_size : io.size;
  spec.limits = Limits(size);
  spec.cap_drop = {"ALL"};
  spec.no_new_privileges = true;
  // The app's storage, as its processes have it (this engine is the node
  // the volumes are on: the daemon's own).
  auto mounts = store_.ListStorageMounts(app);
  if (!mounts) return std::unexpected(mounts.error());
  for (const auto& m : *mounts) spec.binds.push_back(StorageVolumeName(settings_.InstallId(), app, m.name) + ":" + m.path);
  const int64_t started = UnixSeconds();
  return RunOneOff(docker_, std::move(spec), io, [&](const std::string& id, int code) {
    // 137 is SIGKILL; only then is it worth asking whether the kernel's OOM killer sent it.
    if (code != 137 || !io.err) return;
    const ProcessSize* s = FindProcessSize(size);
    const int memory_mb = s ? s->memory_mb : 0;
    if (OomKilled(id, started)) {
      io.err->Write(fmt::format(
          "\nThe process used all the memory of its size ({}, {} MB) and was stopped. "
          "Run it at a bigger size with `run APP --size SIZE ...`; ps:sizes lists them.\n",
          size, memory_mb));
    } else {
      // The engine's OOM report can be lost on a busy host (its shim drops one
      // it reads after the container is gone): say what is likely.
      io.err->Write(fmt::format(
          "\nThe process was killed (SIGKILL). If it ran out of the memory of its size ({}, {} MB), run it at "
          "a bigger size with `run APP --size SIZE ...`; ps:sizes lists them.\n",
          size, memory_mb));
    }
  });
}

Result<int> RunOneOff(DockerClient& docker, ContainerSpec spec, const RunIO& io,
                      const std::function<void(const std::string& id, int status)>& ended) {
  spec.tty = io.tty;
  spec.open_stdin = io.stdin_fd >= 0;
  auto id = docker.CreateContainer(spec);
  if (!id) return std::unexpected(id.error());
  struct Remove {
    DockerClient& docker;
    std::string id;
    ~Remove() { (void)docker.RemoveContainer(id); }
  } remove{docker, *id};
  auto attached = docker.Attach(
      *id, io.stdin_fd,
      [&](int stream, std::string_view data) {
        Output* to = stream == 2 && io.err ? io.err : io.out;
        if (to) to->Write(data);
        return true;
      },
      io.tty, io.cancelled);
  if (!attached) return std::unexpected(attached.error());
  if (io.cancelled && io.cancelled()) return 130;
  auto code = docker.WaitContainer(*id);
  if (!code) return std::unexpected(code.error());
  if (ended) ended(*id, *code);
  return *code;
}

Result<int> Runtime::Run(const std::string& app, const std::vector<std::string>& argv, RunIO io) {
  auto release = store_.LatestRelease(app);
  if (!release) return std::unexpected(release.error());
  if (!*release) return InvalidArgument(fmt::format("{} has no release yet: git push it first", app));
  if (auto r = EnsureNetworks(app); !r) return std::unexpected(r.error());
  // One word is a command line for the shell, as Heroku's `run "a && b"`;
  // several are argv, each word kept whole.
  std::string command = argv.size() == 1 ? argv[0] : "";
  if (argv.size() > 1) {
    for (const auto& a : argv) command += (command.empty() ? "" : " ") + QuoteShellWord(a);
  }
  return RunContainer(app, **release, "run", command, io);
}

Result<std::string> Runtime::PrepareStorage(const std::string& app, const std::string& name) {
  auto info = docker_.Info();
  if (!info) return std::unexpected(info.error());
  if (info->node_id.empty()) return Failed("this Docker engine is not a Swarm node; restart mothershipd");
  const std::string volume = StorageVolumeName(settings_.InstallId(), app, name);
  if (auto r = docker_.EnsureVolume(volume, StorageVolumeLabels(settings_.InstallId(), app, name)); !r) {
    return std::unexpected(r.error());
  }
  // Docker makes a volume's top directory root's, 0755; the app's processes
  // run as their image's user (uid 1000 for buildpack apps). Root in a
  // container without capabilities may still chmod what it owns.
  ContainerSpec spec;
  spec.image = settings_.base_image;
  spec.cmd = {"chmod", "0777", "/mnt"};
  spec.user = "0:0";
  spec.binds = {volume + ":/mnt"};
  spec.labels = Labels(app);
  spec.labels["mothership.role"] = "run";
  spec.network_mode = "none";
  spec.cap_drop = {"ALL"};
  spec.no_new_privileges = true;
  NullOutput quiet;
  RunIO io;
  io.out = io.err = &quiet;
  auto code = RunOneOff(docker_, std::move(spec), io);
  if (!code) return std::unexpected(code.error());
  if (*code != 0) return Failed(fmt::format("cannot make the volume {} writable (chmod exited with {})", volume, *code));
  return info->node_id;
}

Result<std::vector<std::string>> Runtime::StorageVolumes(const std::string& app) {
  auto volumes = docker_.ListVolumes(StorageAppFilter(app));
  if (!volumes) return std::unexpected(volumes.error());
  std::vector<std::string> ours;
  for (const auto& v : *volumes) {
    // (Another installation's have another prefix.)
    if (v.starts_with(StorageVolumeName(settings_.InstallId(), app, ""))) ours.push_back(v);
  }
  return ours;
}

Result<void> Runtime::Destroy(const std::string& app) {
  auto services = docker_.ListServices(AppFilter(app, settings_.InstallId()));
  if (!services) return std::unexpected(services.error());
  for (const auto& s : *services) {
    if (auto r = docker_.RemoveService(s.id); !r) return r;
  }
  auto containers = docker_.ListContainers("mothership.app=" + app);
  if (containers) {
    for (const auto& c : *containers) {
      if (c.labels.contains("mothership.install") && c.labels.at("mothership.install") == settings_.InstallId()) {
        (void)docker_.RemoveContainer(c.id);
      }
    }
  }
  // The network goes once the tasks on it have stopped.
  auto deadline = clock_.Now() + std::chrono::seconds(60);
  for (;;) {
    auto r = docker_.RemoveNetwork(AppNetworkName(app));
    if (r) break;
    if (clock_.Now() > deadline) return r;
    clock_.SleepFor(std::chrono::milliseconds(250));
  }
  // Its storage volumes (apps:destroy was told --destroy-storage), found by
  // label: the store's rows went with the app.
  auto volumes = StorageVolumes(app);
  if (!volumes) return std::unexpected(volumes.error());
  for (const auto& v : *volumes) {
    for (;;) {
      auto r = docker_.RemoveVolume(v);
      if (r) break;
      if (clock_.Now() > deadline) return r;
      clock_.SleepFor(std::chrono::milliseconds(250));
    }
  }
  return {};
}

Result<void> Runtime::Reconcile() {
  if (auto r = EnsureSwarm(); !r) return r;
  auto services = docker_.ListServices(InstallFilter(settings_.InstallId()));
  if (!services) return std::unexpected(services.error());
  std::map<std::string, std::vector<ServiceInfo>> by_app;
  for (const auto& s : *services) {
    std::string app = s.Label("mothership.app");
    if (app.empty()) continue;  // the proxy
    auto found = store_.GetApp(app);
    if (!found && found.error().code == ErrorCode::kNotFound) {
      LogInfo("removing service {} of an app that no longer exists", s.name);
      (void)docker_.RemoveService(s.id);
    } else if (found) {
      by_app[app].push_back(s);
    }
  }
  for (const auto& [app, list] : by_app) {
    auto latest = store_.LatestRelease(app);
    if (!latest) {
      LogWarn("cannot read the latest release of {}: {}", app, latest.error().message);
      continue;
    }
    if (!*latest) {
      LogWarn("{} has services but no release (the daemon stopped during its first deploy); removing them", app);
      for (const auto& s : list) (void)docker_.RemoveService(s.id);
      continue;
    }
    auto differs = Differs(app, list, **latest);
    if (!differs) {
      LogWarn("cannot compare the services of {} with its release: {}", app, differs.error().message);
      continue;
    }
    if (differs->empty()) continue;
    LogWarn("{}: its services do not all run its release v{} as recorded ({}; the daemon stopped during a "
            "change); rolling them back to it",
            app, (*latest)->version, *differs);
    NullOutput quiet;
    if (auto r = ApplyRelease(app, **latest, quiet); !r) {
      LogWarn("cannot roll {} back to v{}: {}", app, (*latest)->version, r.error().message);
    }
  }
  return {};
}

Result<nlohmann::json> Runtime::Nodes() {
  auto nodes = docker_.ListNodes();
  if (!nodes) return std::unexpected(nodes.error());
  auto services = docker_.ListServices(InstallFilter(settings_.InstallId()));
  std::map<std::string, std::vector<std::string>> tasks_by_node;
  if (services && !services->empty()) {
    std::vector<std::string> names;
    for (const auto& s : *services) names.push_back(s.name);
    auto tasks = docker_.ListTasks({{"service", names}, {"desired-state", {"running"}}});
    if (tasks) {
      std::map<std::string, std::string> service_names;
      for (const auto& s : *services) service_names[s.id] = s.name;
      for (const auto& t : *tasks) {
        tasks_by_node[t.node_id].push_back(fmt::format("{}.{}", service_names[t.service_id], t.slot));
      }
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : *nodes) {
    auto tasks = tasks_by_node[n.id];
    std::sort(tasks.begin(), tasks.end());
    out.push_back({{"id", n.id.substr(0, 12)},
                   {"hostname", n.hostname},
                   {"role", n.role},
                   {"availability", n.availability},
                   {"state", n.state},
                   {"address", n.addr},
                   {"tasks", tasks}});
  }
  return out;
}

Result<std::string> Runtime::JoinCommand() {
  if (auto r = EnsureSwarm(); !r) return std::unexpected(r.error());
  auto swarm = docker_.SwarmInspect();
  if (!swarm) return std::unexpected(swarm.error());
  auto info = docker_.Info();
  if (!info) return std::unexpected(info.error());
  std::string addr = info->remote_managers.empty() ? "" : info->remote_managers[0];
  if (addr.empty()) addr = info->node_addr + ":2377";
  // This node's own address first: the managers' list may still name an
  // earlier one.
  const std::string advertised = IsLoopbackHost(info->node_addr) ? info->node_addr : addr.substr(0, addr.rfind(':'));
  if (IsLoopbackHost(advertised)) {
    return Failed(fmt::format(
        "this Swarm manager advertises {}, which no other node can reach (Docker could not choose one of this "
        "host's addresses when the swarm was made). Give it an address every node reaches: run `docker swarm init "
        "--force-new-cluster --advertise-addr ADDRESS` on this host (apps and services stay), set "
        "swarm_advertise_addr: ADDRESS in config.yaml, then run nodes:join-command again",
        advertised));
  }
  return fmt::format("docker swarm join --token {} {}", swarm->worker_join_token, addr);
}

}  // namespace ms
