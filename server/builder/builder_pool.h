#pragma once
// BuilderPool: builder containers started ahead of time. Starting a container
// (network namespace, cgroups, mounts) costs about 0.4 s on the reference
// machine, most of a code-only push; so after each build of an app, the pool
// starts a fresh, idle builder container for that app's next push in the
// background. Every push still gets a container nobody used before: Take hands
// out the warm one when it matches the spec and the current build image, else
// starts one. Idle containers run `sleep infinity`; builds run with Exec.
// An idle container costs about 3 MB (its own processes and its containerd
// shim): the pool keeps them for the `max` apps pushed last only, each for
// `keep` at most (a team's apps at rest cost nothing; the first push after
// that starts its container on its path). The pool removes its idle
// containers when it is destroyed (daemon stop), and
// Builder::CleanLeftovers removes those of a daemon that did not stop cleanly.

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server/common/clock.h"
#include "server/common/result.h"
#include "server/common/thread_group.h"
#include "server/docker/docker_client.h"

namespace ms {

// How many idle builder containers, for how long.
struct WarmLimits {
  int max = 4;  // idle containers at most (settings' warm_builders)
  std::chrono::seconds keep{15 * 60};  // for this long at most (warm_builder_minutes)
};

class BuilderPool {
 public:
  using Limits = WarmLimits;
  // clock: what an idle container's age is measured with.
  explicit BuilderPool(DockerClient& docker, Limits limits = {}, Clock& clock = SystemClock::Get());
  ~BuilderPool();
  BuilderPool(const BuilderPool&) = delete;
  BuilderPool& operator=(const BuilderPool&) = delete;

  // A started, unused container for spec (spec.cmd is replaced by the idle command).
  Result<std::string> Take(const std::string& app, const ContainerSpec& spec);
  // Starts the app's next builder container in the background.
  void Prewarm(const std::string& app, const ContainerSpec& spec);
  // Removes a used container in the background, off the push's path.
  void Discard(const std::string& id);
  // Removes the app's idle container, once one on its way has started (apps:destroy).
  void Drop(const std::string& app);
  // Removes the idle containers older than limits.keep; the pool's own
  // thread calls it every 30 s.
  void Expire();
  // How many idle containers there are.
  size_t IdleCount();

 private:
  struct Idle {
    std::string id;
    std::string key;  // the spec and the build image's id it was made from
    Clock::TimePoint since;
  };
  Result<std::string> Key(const ContainerSpec& spec);
  Result<std::string> Start(const ContainerSpec& spec);

  // Takes out of idle_ the containers beyond limits_.max, oldest first; their ids.
  std::vector<std::string> OverLimitLocked();

  DockerClient& docker_;
  Limits limits_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Idle> idle_;
  std::set<std::string> starting_;  // apps whose next container is starting
  std::condition_variable started_;
  bool stopping_ = false;
  std::condition_variable stop_;
  ThreadGroup threads_;
  std::thread expiry_;  // last: it uses the members above
};

}  // namespace ms
