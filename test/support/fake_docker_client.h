#pragma once
// FakeDockerClient: a scripted, in-memory Docker engine for unit tests (the
// idea of ninja's FakeCommandRunner and leveldb's in-memory Env). It keeps
// services, tasks, nodes, containers, images, volumes and networks as values,
// records every call the code under test makes (`Calls()`: "CreateService
// shop-web", "RemoveContainer ctr-2" ...), and plays Swarm's part in a rollout:
//
// - Creating or updating a service starts a new task in each slot whose task
//   does not run the new spec (release label and force_update); slots above
//   the replica count are shut down. Old tasks keep running until the new one
//   of their slot runs (start-first).
// - Every ListTasks of a service is one step of time: each live new task moves
//   to the next state of the TaskScript of its release (default: starting,
//   running). A task that fails or is rejected during an update makes Swarm
//   roll the service back (UpdateStatus rollback_started, then
//   rollback_completed, the previous spec restored); outside an update it is
//   restarted in its slot (restart policy on-failure).
// - SetNodeDown marks a node down and moves its tasks to other ready nodes.
//
// Failures are injected per method with FailNext("CreateService", error).
// Thread-safe (one mutex), so code that polls from several threads works.

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/docker/docker_client.h"

namespace ms::test {

// How the tasks of one release behave.
struct TaskScript {
  // The states a new task goes through, one per poll; it stays in the last.
  std::vector<std::string> states = {"starting", "running"};
  std::string error;  // Status.Err once failed or rejected
  std::string logs;   // what TaskLogs returns for its tasks
};

class FakeDockerClient : public DockerClient {
 public:
  FakeDockerClient();

  // --- Scripting -----------------------------------------------------------
  // The behaviour of new tasks whose mothership.release label is `release`
  // ("v2"); services without the label use the script of "".
  void ScriptRelease(const std::string& release, TaskScript script);
  // Makes the next call of `method` fail with `error` (once per call to this).
  void FailNext(const std::string& method, Error error);
  void FailNext(const std::string& method, const std::unexpected<Error>& error) { FailNext(method, error.error()); }
  // A service that already runs its spec: one running task per replica.
  std::string AddRunningService(const ServiceSpec& spec);
  std::string AddNode(const std::string& hostname, const std::string& role = "worker");
  void SetNodeDown(const std::string& node_id);
  void AddImage(const std::string& name, const std::string& id, const Labels& labels = {});
  // What InspectImage(name) answers: the image the engine resolves name to.
  void AddImage(const std::string& name, const ImageInfo& info);
  // Lines ServiceLogs sends for a service (timestamped, with task details).
  void ScriptServiceLogs(const std::string& service, std::vector<std::string> lines);
  // What a container's process prints (Attach) and its exit status (Wait), by
  // the mothership.role label or the first word of its command.
  void ScriptContainer(const std::string& key, std::string output, int exit_code);
  // How the engine tells that the kernel's OOM killer ended that container:
  // in State.OOMKilled, or only by an "oom" event after the exit (as Docker
  // 20.10 on containerd 1.6 can).
  enum class OomReport { kNone, kState, kEventOnly };
  void ScriptOomKill(const std::string& key, OomReport report);
  // RemoveNetwork fails this many times first (tasks still on it).
  void SetNetworkBusy(int times);
  // The tasks of a service removed from now on stay listed (desired state
  // "remove") for this many ListTasks, and when they go the named volumes the
  // service mounts exist: as Swarm does when a task was still starting (its
  // container, made after the removal, makes its volume).
  void SetRemovedTasksLinger(int looks);
  void SetEngineInfo(EngineInfo info);

  // --- Inspection ----------------------------------------------------------
  std::vector<std::string> Calls();
  // How many calls start with prefix ("UpdateService shop-web").
  int CountCalls(const std::string& prefix);
  // The last spec CreateService or UpdateService was given for a service.
  std::optional<ServiceSpec> LastSpec(const std::string& service_name);
  std::optional<ServiceInfo> Service(const std::string& name_or_id);
  std::vector<TaskInfo> Tasks(const std::string& service_name);
  std::vector<std::string> ServiceNames();
  std::set<std::string> ContainerIds();
  std::set<std::string> ImageNames();
  std::set<std::string> NetworkNames();
  std::set<std::string> VolumeNames();
  // The spec a container was created with.
  std::optional<ContainerSpec> ContainerSpecOf(const std::string& id);

  // --- DockerClient --------------------------------------------------------
  Result<std::string> ApiVersion() override;
  Result<bool> ImageExists(const std::string& image) override;
  Result<ImageInfo> InspectImage(const std::string& image) override;
  Result<void> ImportImage(const std::filesystem::path& rootfs_tar, const std::string& repo,
                           const std::string& tag) override;
  Result<void> BuildImage(const std::filesystem::path& context_tar, const std::string& tag,
                          const std::map<std::string, std::string>& build_args, const LineSink& out,
                          const BuildOptions& options = {}) override;
  Result<void> PushImage(const std::string& repo, const std::string& tag, const LineSink& out) override;
  Result<void> PullImage(const std::string& repo, const std::string& tag, const LineSink& out) override;
  Result<void> TagImage(const std::string& image, const std::string& repo, const std::string& tag) override;
  Result<void> RemoveImage(const std::string& image) override;
  Result<void> EnsureVolume(const std::string& name, const std::map<std::string, std::string>& labels) override;
  Result<void> RemoveVolume(const std::string& name) override;
  Result<std::vector<std::string>> ListVolumes(const std::string& label_filter) override;
  Result<std::string> CreateContainer(const ContainerSpec& spec) override;
  Result<void> StartContainer(const std::string& id) override;
  Result<ContainerInfo> InspectContainer(const std::string& id) override;
  Result<void> FollowLogs(const std::string& id, const LineSink& out) override;
  Result<int> WaitContainer(const std::string& id) override;
  Result<bool> OomEvent(const std::string& id, int64_t since, int64_t until) override;
  Result<int> Exec(const std::string& id, const std::vector<std::string>& cmd, const LineSink& out,
                   const std::function<bool(std::string_view)>& stdout_data = nullptr) override;
  Result<void> StopContainer(const std::string& id, int timeout_seconds) override;
  Result<void> RemoveContainer(const std::string& id) override;
  Result<std::vector<ContainerSummary>> ListContainers(const std::string& label_filter) override;
  Result<void> Attach(const std::string& id, int stdin_fd, const std::function<bool(int stream, std::string_view)>& out,
                      bool tty, const std::function<bool()>& cancelled) override;
  Result<EngineInfo> Info() override;
  Result<void> SwarmInit(const std::string& advertise_addr) override;
  Result<SwarmInfo> SwarmInspect() override;
  Result<std::string> EnsureOverlayNetwork(const std::string& name,
                                           const std::map<std::string, std::string>& labels) override;
  Result<std::string> EnsureBridgeNetwork(const std::string& name, const Labels& labels,
                                          const std::map<std::string, std::string>& options) override;
  Result<void> RemoveNetwork(const std::string& name) override;
  Result<std::optional<ServiceInfo>> InspectService(const std::string& name) override;
  Result<std::string> CreateService(const ServiceSpec& spec) override;
  Result<void> UpdateService(const std::string& id, uint64_t version, const ServiceSpec& spec) override;
  Result<void> RollbackService(const std::string& id) override;
  Result<void> RemoveService(const std::string& name) override;
  Result<std::vector<ServiceInfo>> ListServices(const EngineFilters& filters) override;
  Result<std::vector<TaskInfo>> ListTasks(const EngineFilters& filters) override;
  Result<std::vector<NodeInfo>> ListNodes() override;
  Result<void> ServiceLogs(const std::string& service, int tail, bool follow, const LineSink& out,
                           const std::function<bool()>& cancelled) override;
  Result<std::string> TaskLogs(const std::string& task_id, int tail) override;
  Result<void> PutArchive(const std::string& id, const std::string& path, const std::filesystem::path& tar) override;
  Result<void> GetArchive(const std::string& id, const std::string& path, const std::filesystem::path& dest) override;

 private:
  struct FakeService {
    ServiceSpec spec;
    std::optional<ServiceSpec> previous;  // before the last update
    std::string id;
    uint64_t version = 1;
    std::string update_state;
    std::string update_message;
  };
  struct FakeTask {
    TaskInfo info;
    TaskScript script;
    size_t step = 0;
  };
  struct FakeContainer {
    ContainerSpec spec;
    std::string id;
    bool running = false;
  };

  // Records the call; the injected failure of method, if any.
  std::optional<Error> Record(const std::string& method, const std::string& detail);
  FakeService* FindService(const std::string& name_or_id);
  ServiceInfo InfoOf(const FakeService& s) const;
  std::string ReleaseOf(const ServiceSpec& spec) const;
  // Starts new tasks where the spec changed, shuts down extra slots.
  void Reconcile(FakeService& s);
  // Shuts down the tasks that do not run the spec and do not run at all.
  void RetireStale(FakeService& s);
  // One step of time for a service's tasks.
  void Step(FakeService& s);
  void StartTask(FakeService& s, int slot);
  std::string PickNode();
  std::string Key(const ContainerSpec& spec) const;

  std::mutex mu_;
  std::vector<std::string> calls_;
  std::map<std::string, std::vector<Error>> failures_;
  std::map<std::string, TaskScript> scripts_;
  std::map<std::string, FakeService> services_;  // by id
  std::vector<FakeTask> tasks_;
  std::vector<NodeInfo> nodes_;
  std::map<std::string, ImageInfo> images_;  // by name
  std::map<std::string, FakeContainer> containers_;
  std::map<std::string, std::pair<std::string, int>> container_scripts_;
  std::map<std::string, OomReport> oom_reports_;  // by the key of container_scripts_
  std::map<std::string, std::vector<std::string>> service_logs_;
  std::map<std::string, Labels> networks_;  // name -> labels
  std::set<std::string> volumes_;
  std::map<std::string, std::map<std::string, std::string>> volume_labels_;
  int network_busy_ = 0;
  struct RemovedTasks {
    std::vector<TaskInfo> tasks;
    std::vector<std::string> volumes;
    int looks = 0;
  };
  int removed_linger_ = 0;
  std::vector<RemovedTasks> removed_;
  EngineInfo info_;
  std::map<std::string, ServiceSpec> last_specs_;
  int next_id_ = 1;
  int clock_ = 0;  // task timestamps
};

}  // namespace ms::test
