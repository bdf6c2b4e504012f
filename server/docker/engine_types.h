#pragma once
// What the Docker engine tells and is asked, as plain values: the rest of the
// server sees these, never the Engine API's JSON (read and written in
// server/docker/engine_json.cc only), so a fake engine can script them.
// Everything is copyable data; no thread rules.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ms {

using Labels = std::map<std::string, std::string>;
// Engine list filters: {"label", {"mothership.app=x"}}, {"service", {"x-web"}} ...
using EngineFilters = std::map<std::string, std::vector<std::string>>;

inline constexpr int64_t kNanosPerSecond = 1'000'000'000;  // the Engine API counts nanoseconds

// What a container or a task may use; 0: no limit.
struct ResourceLimits {
  int64_t memory_bytes = 0;  // no swap beyond it
  int64_t nano_cpus = 0;
  int64_t pids = 0;          // processes and threads
  // Containers and builds only: the CPU weight against other containers when
  // the host is busy (the engine's default is 1024; 0 leaves it).
  int64_t cpu_shares = 0;
  bool operator==(const ResourceLimits&) const = default;
};

// How POST /build runs a Dockerfile's steps.
struct BuildOptions {
  ResourceLimits limits;         // memory and CPU; the API has no process limit: see cgroup_parent
  std::string network;           // the steps' network; "" = the engine's default bridge
  std::string cgroup_parent;     // "" = the engine's default
  std::function<bool()> cancelled;  // polled while the build runs; true ends it
};

// A container to create (POST /containers/create).
struct ContainerSpec {
  std::string name;   // optional
  std::string image;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "K=V"
  Labels labels;
  std::vector<std::string> binds;  // "volume:/cache", "/host/file:/container/file:ro"
  std::string working_dir;
  std::string user;
  ResourceLimits limits;
  std::vector<std::string> cap_drop;  // HostConfig.CapDrop: {"ALL"} for app processes
  bool no_new_privileges = false;     // SecurityOpt no-new-privileges
  std::string network_mode;  // "" = default bridge; or a network's name
  bool tty = false;          // a pseudo-terminal (one output stream)
  bool open_stdin = false;   // stdin attached (Attach copies it in)
  bool auto_remove = false;
  std::string restart_policy;  // "" (never), "always", "unless-stopped"
  // Container TCP port -> host port on 127.0.0.1 ("0": any free one).
  std::map<int, std::string> published_ports;
};

// One entry of GET /containers/json.
struct ContainerSummary {
  std::string id;
  std::string name;
  Labels labels;
};

// GET /containers/{id}/json.
struct ContainerInfo {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image;
  bool running = false;
  int exit_code = 0;
  bool oom_killed = false;  // the kernel ended it for going over its memory limit
  Labels labels;
  std::vector<std::string> networks;  // the names of the networks it is on, sorted
  // "5000/tcp" -> the first host port it is published on.
  std::map<std::string, std::string> host_ports;
};

// GET /images/{name}/json.
struct ImageInfo {
  std::string id;  // "sha256:..."
  std::vector<std::string> repo_tags;
  std::vector<std::string> repo_digests;  // "REPO@sha256:...", one per registry it was pushed to
  Labels labels;
  std::vector<std::string> on_build;  // ONBUILD instructions a build FROM it runs
  std::vector<std::string> entrypoint;  // Config.Entrypoint, empty when none
  std::vector<std::string> cmd;         // Config.Cmd, empty when none
};

// GET /info: this engine and its place in a swarm.
struct EngineInfo {
  std::string swarm_state;  // LocalNodeState: inactive, active, pending, error, locked
  bool control_available = false;  // a manager
  std::string node_id;
  std::string node_addr;
  std::vector<std::string> remote_managers;  // "10.0.0.1:2377"
  // Registries it speaks plain HTTP to: addresses in these CIDRs ("127.0.0.0/8")
  // and these names ("10.0.0.5:5000", from insecure-registries).
  std::vector<std::string> insecure_registry_cidrs;
  std::vector<std::string> insecure_registries;
};

// GET /swarm: what a node needs to join.
struct SwarmInfo {
  std::string worker_join_token;
  std::string manager_join_token;
};

// GET /nodes.
struct NodeInfo {
  std::string id;
  std::string hostname;
  std::string role;          // manager, worker
  std::string availability;  // active, pause, drain
  std::string state;         // ready, down, unknown, disconnected
  std::string addr;
};

// A Swarm service to create or update.
struct BindMount {
  std::string source;  // a host path; a volume's name when volume
  std::string target;
  bool read_only = false;
  bool volume = false;  // a named volume (made on the task's node when missing)
};

struct NetworkAttachment {
  std::string target;
  std::vector<std::string> aliases;
};

struct HealthCheckSpec {
  std::vector<std::string> test;  // {"CMD", ...}
  int64_t interval_ns = 0;
  int64_t timeout_ns = 0;
  int retries = 0;
  int64_t start_period_ns = 0;
};

struct UpdatePolicy {
  int parallelism = 1;
  int64_t delay_ns = 0;
  std::string failure_action = "pause";  // rollback, pause, continue
  int64_t monitor_ns = 0;                // 0: the engine's default
  double max_failure_ratio = 0;
  std::string order = "stop-first";  // start-first
};

struct ServiceSpec {
  std::string name;
  Labels labels;
  // The container of each task.
  std::string image;
  std::vector<std::string> command;  // empty: the image's entrypoint
  std::vector<std::string> args;
  std::vector<std::string> env;  // "K=V"; Swarm expands {{...}} templates in values
  std::vector<std::string> cap_drop;  // ContainerSpec.CapabilityDrop (API 1.41): {"ALL"} for apps
  Labels container_labels;
  std::vector<BindMount> mounts;
  int64_t stop_grace_ns = 10 * kNanosPerSecond;
  std::optional<HealthCheckSpec> health_check;
  std::vector<NetworkAttachment> networks;
  std::vector<std::string> constraints;  // "node.id==..."
  std::string restart_condition = "on-failure";  // none, on-failure, any
  int64_t restart_delay_ns = kNanosPerSecond;
  std::string log_driver = "json-file";
  Labels log_options;
  uint64_t force_update = 0;  // bumped to replace the tasks with the same spec
  bool global = false;        // one task per node; else `replicas`
  int replicas = 1;
  UpdatePolicy update;
  std::optional<UpdatePolicy> rollback;
  std::string endpoint_mode = "dnsrr";
  ResourceLimits limits;  // of each task
};

// GET /services/{id}: what a rollout needs to know of a service.
struct ServiceInfo {
  std::string id;
  std::string name;
  uint64_t version = 0;  // Version.Index: an update names the version it is based on
  Labels labels;
  std::string image;
  std::vector<std::string> args;
  Labels container_labels;
  bool global = false;
  int replicas = 0;
  uint64_t force_update = 0;
  // UpdateStatus: "" (never updated), updating, paused, completed,
  // rollback_started, rollback_paused, rollback_completed; and why.
  std::string update_state;
  std::string update_message;

  std::string Label(const std::string& key) const {
    auto it = labels.find(key);
    return it == labels.end() ? "" : it->second;
  }
};

// GET /tasks: one task of a service.
struct TaskInfo {
  std::string id;
  std::string service_id;
  int slot = 0;
  std::string node_id;
  std::string state;          // new, pending, assigned, ..., starting, running, complete, failed, rejected, shutdown, orphaned
  std::string desired_state;  // running, shutdown ...
  std::string error;          // Status.Err
  std::string message;        // Status.Message
  std::string timestamp;      // Status.Timestamp: when it entered state
  std::string updated_at;
  std::string image;
  Labels container_labels;
  std::string release;  // the container label mothership.release ("v3")
  uint64_t force_update = 0;
  // Its address on each network it is attached to: network name -> "10.0.1.5".
  std::map<std::string, std::string> addresses;

  // Why it failed: the error, else the message.
  std::string Why() const { return error.empty() ? message : error; }
};

}  // namespace ms
