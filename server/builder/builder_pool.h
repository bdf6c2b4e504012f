#pragma once
// BuilderPool: builder containers started ahead of time. Starting a container
// (network namespace, cgroups, mounts) costs about 0.4 s on the reference
// machine, most of a code-only push; so after each build of an app, the pool
// starts a fresh, idle builder container for that app's next push in the
// background. Every push still gets a container nobody used before: Take hands
// out the warm one when it matches the spec and the current build image, else
// starts one. Idle containers run `sleep infinity`; builds run with Exec. The
// pool removes its idle containers when it is destroyed (daemon stop), and
// Builder::CleanLeftovers removes those of a daemon that did not stop cleanly.

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "server/common/result.h"
#include "server/common/thread_group.h"
#include "server/docker/docker_client.h"

namespace ms {

class BuilderPool {
 public:
  explicit BuilderPool(DockerClient& docker) : docker_(docker) {}
  ~BuilderPool();
  BuilderPool(const BuilderPool&) = delete;
  BuilderPool& operator=(const BuilderPool&) = delete;

  // A started, unused container for spec (spec.cmd is replaced by the idle command).
  Result<std::string> Take(const std::string& app, const ContainerSpec& spec);
  // Starts the app's next builder container in the background.
  void Prewarm(const std::string& app, const ContainerSpec& spec);
  // Removes a used container in the background, off the push's path.
  void Discard(const std::string& id);
  // Removes the app's idle container (apps:destroy).
  void Drop(const std::string& app);

 private:
  struct Idle {
    std::string id;
    std::string key;  // the spec and the build image's id it was made from
  };
  Result<std::string> Key(const ContainerSpec& spec);
  Result<std::string> Start(const ContainerSpec& spec);

  DockerClient& docker_;
  std::mutex mu_;
  std::map<std::string, Idle> idle_;
  std::set<std::string> starting_;  // apps whose next container is starting
  std::condition_variable started_;
  bool stopping_ = false;
  ThreadGroup threads_;
};

}  // namespace ms
