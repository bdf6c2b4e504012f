#pragma once
// EngineDockerClient: DockerClient over the Docker Engine API on a unix socket
// (libcurl). The API version is negotiated once, at first use: the lower of the
// engine's and ours, so both Docker 20.10 (1.41) and engines that refuse old
// versions (Docker 29 needs 1.44+) work. Thread-safe.

#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "server/docker/docker_client.h"
#include "server/common/http_client.h"

namespace ms {

class EngineDockerClient : public DockerClient {
 public:
  static constexpr const char* kDefaultSocket = "/var/run/docker.sock";
  static constexpr const char* kClientApiVersion = "1.47";

  explicit EngineDockerClient(std::string socket_path = kDefaultSocket)
      : http_(HttpClient::UnixSocket(std::move(socket_path), "the Docker engine",
                                     "start it (for example `dockerd &`) and try again")) {}

  // Logs in to REGISTRY ("HOST:PORT") for every push, pull, build and service
  // whose image is in it (X-Registry-Auth; Swarm keeps a service's login and
  // every node pulls with it). Call before the client is shared.
  void UseRegistryCredentials(std::string registry, std::string username, std::string password);

  Result<std::string> ApiVersion() override;
  Result<bool> ImageExists(const std::string& image) override;
  Result<ImageInfo> InspectImage(const std::string& image) override;
  Result<void> ImportImage(const std::filesystem::path& rootfs_tar, const std::string& repo,
                           const std::string& tag) override;
  Result<void> BuildImage(const std::filesystem::path& context_tar, const std::string& tag,
                          const std::map<std::string, std::string>& build_args,
                          const LineSink& out, const BuildOptions& options = {}) override;
  Result<void> PushImage(const std::string& repo, const std::string& tag, const LineSink& out) override;
  Result<void> PullImage(const std::string& repo, const std::string& tag, const LineSink& out) override;
  Result<void> TagImage(const std::string& image, const std::string& repo, const std::string& tag) override;
  Result<void> RemoveImage(const std::string& image) override;
  Result<void> EnsureVolume(const std::string& name,
                            const std::map<std::string, std::string>& labels) override;
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
  Result<void> Attach(const std::string& id, int stdin_fd, const std::function<bool(int stream, std::string_view)>& out, bool tty,
                      const std::function<bool()>& cancelled) override;

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

  Result<void> PutArchive(const std::string& id, const std::string& path,
                          const std::filesystem::path& tar) override;
  Result<void> GetArchive(const std::string& id, const std::string& path,
                          const std::filesystem::path& dest) override;

 private:
  // "/v1.41" + path, negotiating first.
  Result<std::string> Path(const std::string& path);
  Result<HttpResponse> Call(HttpRequest request, std::initializer_list<long> ok);
  // Streams JSON progress lines ({"stream"|"status"|"error"}) to out.
  Result<void> StreamProgress(HttpRequest request, const LineSink& out, const std::string& what);
  // Streams a multiplexed stdout/stderr body (logs, exec) to out, line by line;
  // stdout to stdout_data instead when it is set.
  Result<HttpResponse> StreamOutput(HttpRequest request, const LineSink& out,
                                    const std::function<bool(std::string_view)>& stdout_data = nullptr);
  // image: the service's, for its registry's login.
  Result<void> PostServiceUpdate(const std::string& id, uint64_t version, const std::string& spec,
                                 const std::string& image, bool rollback);
  // X-Registry-Auth for pushing or pulling image: the login for our registry's
  // images, an empty one ("{}") for any other.
  std::string RegistryAuth(const std::string& image) const;
  // Creates a network from a POST /networks/create body unless one of that
  // name exists; refuses another owner's (ownership.h).
  Result<std::string> EnsureNetwork(const std::string& name, const Labels& labels, const nlohmann::json& body);
  // The socket path, for the attach connection.
  const std::string& socket_path() const { return http_.where(); }

  HttpClient http_;
  std::string registry_;      // set with UseRegistryCredentials
  std::string registry_auth_;  // X-Registry-Auth for it
  std::string registry_config_;  // X-Registry-Config (builds) for it
  std::mutex mu_;
  std::optional<std::string> version_;
};

// Percent-encodes a query parameter value.
std::string UrlEncode(std::string_view value);
// Compares Docker API versions ("1.41" < "1.47").
bool ApiVersionLess(const std::string& a, const std::string& b);

}  // namespace ms
