#pragma once
// Runtime: runs releases on Docker Swarm. One service per process type
// (service_spec.h) on a per-app overlay network, APP-net. A
// deploy runs the release's `release` process first, rolls every type out and
// waits until the new tasks are healthy; on failure nothing changes (Swarm
// rolls updated services back; services it had just created are removed) and
// the error gives the reason and the last lines the process printed. Also ps,
// scale, restart, stop/start, logs, one-off runs, destroy, nodes, and
// reconciling with Swarm when the daemon starts. Thread-safe; callers hold
// the app's lock for changes.

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/common/clock.h"
#include "server/common/output.h"
#include "server/common/result.h"
#include "server/config/settings.h"
#include "server/docker/docker_client.h"
#include "server/store/store.h"

namespace ms {

struct TaskState {
  std::string name;  // "web.1"
  std::string node;  // hostname
  std::string state;  // running, starting, failed ...
  std::string release;  // "v3"
  std::string since;   // the state's timestamp
};

struct ProcessState {
  std::string type;
  std::string command;
  int desired = 0;
  int running = 0;
  std::vector<TaskState> tasks;
};

// What a one-off process gets: its terminal and streams, and when to give up.
struct RunIO {
  bool tty = false;
  int stdin_fd = -1;
  Output* out = nullptr;
  Output* err = nullptr;
  std::function<bool()> cancelled;
  std::string size;  // a process size; "" is default_size
};

// A one-off container: creates it from spec (its tty and stdin from io),
// streams its output to io.out/io.err until it ends or io.cancelled() says
// so (then 130), and removes it; its exit status. `ended`, when given, sees
// the container's id and status before it is removed.
Result<int> RunOneOff(DockerClient& docker, ContainerSpec spec, const RunIO& io,
                      const std::function<void(const std::string& id, int status)>& ended = nullptr);

// Makes this engine a Swarm manager when it is in no swarm (advertising
// swarm_advertise_addr, else automatic, else 127.0.0.1); true when it did.
// Fails on a worker or a swarm in a bad state, saying what to do.
Result<bool> EnsureSwarmManager(DockerClient& docker, const Settings& settings);

class Runtime {
 public:
  // clock: what rollouts and destroy wait with.
  Runtime(const Settings& settings, DockerClient& docker, Store& store, Clock& clock = SystemClock::Get())
      : settings_(settings), docker_(docker), store_(store), clock_(clock) {}

  // Makes the engine a Swarm manager when it is in no swarm.
  Result<void> EnsureSwarm();
  Result<void> Deploy(const std::string& app, const Release& release, Output& out);
  // Applies the app's formation (store) to its services and waits for it.
  Result<void> Scale(const std::string& app, Output& out);
  // Rolling restart of one type, or all ("").
  Result<void> Restart(const std::string& app, const std::string& type, Output& out);
  // Every type to 0 (the formation is kept for Start).
  Result<void> Stop(const std::string& app, Output& out);
  Result<std::vector<ProcessState>> Ps(const std::string& app);
  // Timestamped lines "TIME app[web.1]: text", the last n (all types merged,
  // or one); follow until cancelled.
  Result<void> Logs(const std::string& app, int n, bool follow, const std::string& type, Output& out,
                    const std::function<bool()>& cancelled);
  // A one-off process of the current release; its exit status.
  Result<int> Run(const std::string& app, const std::vector<std::string>& argv, RunIO io);
  // storage:mount: makes the volume of the app's storage `name` on this
  // engine's node, writable by the app's processes whatever their user (the
  // volume is the app's alone); the node's id, where the app is then pinned.
  Result<std::string> PrepareStorage(const std::string& app, const std::string& name);
  // The app's storage volumes, mounted or not (by label).
  Result<std::vector<std::string>> StorageVolumes(const std::string& app);
  // Services, network, one-off containers and storage volumes of the app.
  Result<void> Destroy(const std::string& app);
  // At daemon start: services and networks of apps that no longer exist go;
  // an app whose services do not all run its latest release (the daemon
  // stopped during a deploy, config:set or rollback) is rolled back to it, and
  // one with no release loses its services (a first deploy that stopped).
  Result<void> Reconcile();
  // GET /nodes plus this installation's tasks per node.
  Result<nlohmann::json> Nodes();
  Result<std::string> JoinCommand();

  // Called during a rollout (deploy, scale, restart) as soon as every web
  // task the app should have runs the new spec and is healthy, with their
  // addresses on the app's network: the proxy can send to them at once
  // instead of waiting for Swarm's DNS. Set once, before any rollout.
  using WebReadyHook = std::function<void(const std::string& app, const std::vector<std::string>& addresses)>;
  void OnWebReady(WebReadyHook hook) { web_ready_ = std::move(hook); }

 private:
  struct Rollout {
    std::string app;
    std::string type;
    std::string service;
    std::string id;
    bool created = false;
    int replicas = 0;
    std::string release;  // "v3"
    uint64_t force_update = 0;
  };
  Result<void> EnsureNetworks(const std::string& app);
  // Rolls the app's services to release (the app's formation) and removes
  // those of types it does not have.
  Result<void> ApplyRelease(const std::string& app, const Release& release, Output& out);
  // "" when every type of release has a service and every service runs it at
  // the app's formation and sizes (a stopped service at none); else what differs.
  Result<std::string> Differs(const std::string& app, const std::vector<ServiceInfo>& services,
                              const Release& release);
  // Applies the current release again with the app's formation (all zero when
  // stop), restarting restart_type ("*": every type), and waits for it.
  Result<void> RollCurrent(const std::string& app, const std::string& restart_type, bool stop, Output& out);
  Result<std::vector<Rollout>> Apply(const std::string& app, const Release& release, const Formation& formation,
                                     const std::string& restart_type, bool stop = false);
  // Waits for every rollout; on failure undoes them and says why.
  Result<void> Converge(const std::vector<Rollout>& rollouts, Output& out);
  Result<int> RunContainer(const std::string& app, const Release& release, const std::string& role,
                           const std::string& command, RunIO io);
  // Whether the kernel's OOM killer ended a process of the stopped container,
  // created at started (Unix seconds).
  bool OomKilled(const std::string& container, int64_t started);
  std::map<std::string, std::string> Labels(const std::string& app) const;
  // The limits of a size on this host; an unknown name: default_size's.
  ResourceLimits Limits(const std::string& size) const;

  const Settings& settings_;
  DockerClient& docker_;
  Store& store_;
  Clock& clock_;
  WebReadyHook web_ready_;
  std::mutex mu_;
  bool swarm_ready_ = false;
};

}  // namespace ms
