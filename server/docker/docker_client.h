#pragma once
// DockerClient: the Docker Engine operations Mothership uses (images, containers,
// archives, logs, volumes, build, commit, push). This is the seam where Docker
// enters: EngineDockerClient speaks the Engine API over the unix socket; unit
// tests use a scripted fake (test/support/fake_docker_client.h), end-to-end
// tests never do. It speaks in engine_types.h values, never in JSON. Implementations are
// thread-safe. Every failure says what the engine answered; a down engine is
// kUnavailable with what to do.

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"
#include "server/docker/engine_types.h"

namespace ms {

// The engine's output as it streams, one line at a time (build steps, push
// progress, logs), without its newline. Only the engine's streams use it: a
// line a caller shows someone goes to an Output (server/common/output.h).
using LineSink = std::function<void(std::string_view line)>;

class DockerClient {
 public:
  virtual ~DockerClient() = default;

  // "1.41": the API version both sides speak.
  virtual Result<std::string> ApiVersion() = 0;

  virtual Result<bool> ImageExists(const std::string& image) = 0;
  virtual Result<ImageInfo> InspectImage(const std::string& image) = 0;
  // Imports a root filesystem tarball as REPO:TAG.
  virtual Result<void> ImportImage(const std::filesystem::path& rootfs_tar, const std::string& repo,
                                   const std::string& tag) = 0;
  // Builds from a tar build context; each output line goes to `out`. The
  // build's steps run as options say. kBusy when options.cancelled ended it.
  virtual Result<void> BuildImage(const std::filesystem::path& context_tar, const std::string& tag,
                                  const std::map<std::string, std::string>& build_args,
                                  const LineSink& out, const BuildOptions& options = {}) = 0;
  virtual Result<void> PushImage(const std::string& repo, const std::string& tag,
                                 const LineSink& out) = 0;
  virtual Result<void> PullImage(const std::string& repo, const std::string& tag, const LineSink& out) = 0;
  virtual Result<void> TagImage(const std::string& image, const std::string& repo, const std::string& tag) = 0;
  virtual Result<void> RemoveImage(const std::string& image) = 0;

  virtual Result<void> EnsureVolume(const std::string& name,
                                    const std::map<std::string, std::string>& labels) = 0;
  virtual Result<void> RemoveVolume(const std::string& name) = 0;
  // The names of the volumes with the label ("key=value").
  virtual Result<std::vector<std::string>> ListVolumes(const std::string& label_filter) = 0;

  virtual Result<std::string> CreateContainer(const ContainerSpec& spec) = 0;
  virtual Result<void> StartContainer(const std::string& id) = 0;
  virtual Result<ContainerInfo> InspectContainer(const std::string& id) = 0;
  // Follows stdout and stderr until the container stops.
  virtual Result<void> FollowLogs(const std::string& id, const LineSink& out) = 0;
  // Waits for the container to stop; its exit code.
  virtual Result<int> WaitContainer(const std::string& id) = 0;
  // Whether the engine logs an "oom" event for the container (the kernel's
  // OOM killer ended one of its processes) between since and until, both Unix
  // seconds; it answers at the first such event, else once until has passed.
  // State.OOMKilled is not enough: the engine can learn of the OOM kill after
  // the exit, and then only its event says so.
  virtual Result<bool> OomEvent(const std::string& id, int64_t since, int64_t until) = 0;
  // Runs cmd in a running container, streaming its output line by line to out;
  // returns its exit status. With stdout_data, stdout goes there as it arrives
  // (binary; return false to stop reading) and only stderr goes to out.
  virtual Result<int> Exec(const std::string& id, const std::vector<std::string>& cmd, const LineSink& out,
                           const std::function<bool(std::string_view)>& stdout_data = nullptr) = 0;
  virtual Result<void> StopContainer(const std::string& id, int timeout_seconds) = 0;
  virtual Result<void> RemoveContainer(const std::string& id) = 0;
  virtual Result<std::vector<ContainerSummary>> ListContainers(const std::string& label_filter) = 0;

  // Attaches to a created container and starts it: stdin_fd (when >= 0) is
  // copied in, output streams to out as it comes (stream 1 stdout, 2 stderr;
  // with a TTY all is 1). Returns when the output ends or cancelled() says so.
  virtual Result<void> Attach(const std::string& id, int stdin_fd, const std::function<bool(int stream, std::string_view)>& out,
                              bool tty, const std::function<bool()>& cancelled) = 0;

  // Swarm (engine_swarm.cc). Info is GET /info; SwarmInit makes this engine a
  // manager; SwarmInspect gives the join tokens.
  virtual Result<EngineInfo> Info() = 0;
  virtual Result<void> SwarmInit(const std::string& advertise_addr) = 0;
  virtual Result<SwarmInfo> SwarmInspect() = 0;
  // An attachable overlay network; returns its id (creates it when missing).
  // One that exists with a mothership.install or mothership.app label other
  // than labels' (ownership.h): kAlreadyExists, saying whose it is.
  virtual Result<std::string> EnsureOverlayNetwork(const std::string& name,
                                                   const std::map<std::string, std::string>& labels) = 0;
  // A local bridge network with the driver options given (creates it when
  // missing); returns its id. Ownership as for EnsureOverlayNetwork.
  virtual Result<std::string> EnsureBridgeNetwork(const std::string& name, const Labels& labels,
                                                  const std::map<std::string, std::string>& options) = 0;
  virtual Result<void> RemoveNetwork(const std::string& name) = 0;
  // nullopt when there is no such service.
  virtual Result<std::optional<ServiceInfo>> InspectService(const std::string& name) = 0;
  virtual Result<std::string> CreateService(const ServiceSpec& spec) = 0;
  // version: the service's Version.Index this update is based on.
  virtual Result<void> UpdateService(const std::string& id, uint64_t version, const ServiceSpec& spec) = 0;
  // Returns the service to its previous spec (Swarm's rollback).
  virtual Result<void> RollbackService(const std::string& id) = 0;
  virtual Result<void> RemoveService(const std::string& name) = 0;
  // filters: {"label": {"mothership.app=x"}}, {"service": {"x-web"}} ...
  virtual Result<std::vector<ServiceInfo>> ListServices(const EngineFilters& filters) = 0;
  virtual Result<std::vector<TaskInfo>> ListTasks(const EngineFilters& filters) = 0;
  virtual Result<std::vector<NodeInfo>> ListNodes() = 0;
  // Timestamped output lines of a service's tasks (details on: each line starts
  // with its task's labels); tail < 0: all; follow until cancelled.
  virtual Result<void> ServiceLogs(const std::string& service, int tail, bool follow, const LineSink& out,
                                   const std::function<bool()>& cancelled) = 0;
  // The last lines one task printed.
  virtual Result<std::string> TaskLogs(const std::string& task_id, int tail) = 0;

  // Extracts a tar archive into the container at `path`.
  virtual Result<void> PutArchive(const std::string& id, const std::string& path,
                                  const std::filesystem::path& tar) = 0;
  // Writes a tar of `path` in the container to `dest`.
  virtual Result<void> GetArchive(const std::string& id, const std::string& path,
                                  const std::filesystem::path& dest) = 0;
};

}  // namespace ms
