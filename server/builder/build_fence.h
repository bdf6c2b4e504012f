#pragma once
// The fence around a build's processes. Builds run a tenant's code (its
// buildpack's scripts, its Dockerfile's RUN steps) with the internet in reach
// (npm, pip, apt) but nothing of this machine: their network is a bridge of
// its own whose packets to this host (INPUT: the daemon's SSH port, the
// registry, any loopback-bound service through the gateway), to a published
// port (DNAT) or to a link-local address (cloud metadata) are rejected, and
// whose containers cannot reach each other. A Dockerfile build's steps also
// run under a cgroup that caps their processes. Any thread; root.

#include <cstdint>
#include <string>

#include "server/common/result.h"
#include "server/docker/docker_client.h"

namespace ms {

// The build network: one per Docker engine, shared by every installation on
// it (a local bridge takes one of the engine's few address pools; its
// containers cannot reach each other anyway).
inline constexpr const char* kBuildNetwork = "mothership-build";
// Its interface on the host.
inline constexpr const char* kBuildBridge = "msb0";

// Creates the build network and its iptables rules when missing; safe to
// call again. Fails (and builds are refused) when iptables is missing or
// refuses: a build never runs unfenced.
Result<void> EnsureBuildFence(DockerClient& docker);

// A pids cgroup (cgroup v1, the engine's cgroupfs driver) whose pids.max caps
// all of one Dockerfile build's steps together; the engine creates each
// step's container under it. Removed when destroyed.
class BuildCgroup {
 public:
  // name: unique among running builds. An error when this host has no v1
  // pids controller or the cgroup cannot be made.
  static Result<BuildCgroup> Create(const std::string& name, int64_t max_processes);
  BuildCgroup(BuildCgroup&& other) noexcept;
  BuildCgroup& operator=(BuildCgroup&&) = delete;
  ~BuildCgroup();

  // For the engine's cgroupparent: "/NAME".
  std::string parent() const { return "/" + name_; }

 private:
  explicit BuildCgroup(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace ms
