#pragma once
// Builder: turns a pushed commit into an app image, the way Heroku does. The
// commit's tree, the buildpacks and the config vars go into a fresh builder
// container (build stack image; BuilderPool starts it ahead of time) with the
// app's cache volume; the buildpacks run (buildpacks/builder/build) with their
// output streamed to the pusher; the compiled /app becomes a layer on the run
// stack image, labelled and tagged REGISTRY/APP:vN, made directly in the
// registry (SlugImage). Containers are removed on every path. Different apps
// may build at once (at most max_concurrent_builds: BuildSlots); one app builds
// one commit at a time.

#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "server/common/clock.h"
#include "server/common/output.h"
#include "server/common/result.h"
#include "server/config/settings.h"
#include "server/docker/docker_client.h"
#include "server/builder/build_slots.h"
#include "server/builder/builder_pool.h"
#include "server/builder/buildpack_fetcher.h"
#include "server/builder/slug_image.h"
#include "server/git/app_repos.h"
#include "server/store/store.h"

namespace ms {

struct BuildRequest {
  std::string app;
  std::string commit;
  int version = 1;  // the release number the image is tagged with
  std::filesystem::path objects_dir;
  std::map<std::string, std::string> config;
  std::vector<std::string> buildpacks;  // chosen with buildpacks:set/add; empty: see below
  // True once the pusher is gone: the build leaves the line for a build slot.
  std::function<bool()> client_gone;
};

struct BuildResult {
  std::string image;  // REGISTRY/APP:vN@sha256:DIGEST (what the registry stored)
  std::vector<std::string> buildpacks;
  std::map<std::string, std::string> process_types;
  std::map<std::string, std::string> config_defaults;  // from bin/release
  uint64_t slug_bytes = 0;
};

// The hash of a stack directory's files (buildpacks/stack/run ...): the stack
// image's mothership.stack label, so an image made from other files is made
// again.
std::string StackHash(const std::filesystem::path& dir);

class Builder {
 public:
  // buildpacks_dir holds builder/build and the bundled buildpacks.
  // clock: what build timings are measured with.
  Builder(const Settings& settings, DockerClient& docker, AppRepos& repos,
          std::filesystem::path buildpacks_dir, Clock& clock = SystemClock::Get());

  // The bundled buildpacks in detection order.
  static const std::vector<std::string>& BundledBuildpacks();

  Result<BuildResult> Build(const BuildRequest& request, Output& out);
  // Builds the base, build and run stack images that are missing (force: all).
  Result<void> EnsureStackImages(bool force, Output& out);
  // Builds IMAGE from buildpacks/stack/DIR on the base image when it is
  // missing or was made from other files (force: always); says so on out.
  Result<void> EnsureStackImage(const std::string& image, const std::string& dir, bool force, Output& out);
  // Removes the image of the release that falls out of the last keep_releases
  // from the registry and the local engine.
  // Images the kept releases run (after a rollback, an older one) stay.
  void PruneImages(const std::string& app, int newest_version, const std::vector<Release>& releases);
  // Removes the image of VERSION, which no release records (a build the daemon
  // stopped during), from the registry and the local engine; an image a
  // release runs (the same digest) stays.
  void RemoveUnreleasedImage(const std::string& app, int version, const std::vector<Release>& releases);
  // Removes builder containers an interrupted daemon left behind.
  void CleanLeftovers();
  // Forgets an app being destroyed: its idle builder container, its cache
  // volume and its images (release versions) in the registry and the engine.
  void Forget(const std::string& app, const std::vector<int>& versions);

 private:
  // Removes release `version`'s image: its tag on the engine, the image in the
  // registry (unless its digest is in keep) and the copy the engine pulled by
  // digest for a task. An error: the registry's.
  Result<void> RemoveReleaseImage(const std::string& app, int version, const std::set<std::string>& keep);
  std::vector<std::string> ChooseBuildpacks(const BuildRequest& request) const;
  // Labels of this installation's build containers: several Mothership
  // installations (or test daemons) may share one Docker engine.
  std::map<std::string, std::string> BuildLabels(const std::string& app) const;
  // The app's build cache: mothership-cache-INSTALL-APP.
  std::string CacheVolume(const std::string& app) const;
  ContainerSpec BuilderSpec(const std::string& app) const;
  // build_memory_mb, build_cpus and build_max_processes.
  ResourceLimits BuildLimits() const;
  // The build network and its rules (build_fence.h), made once per daemon.
  Result<void> EnsureFence();
  Result<void> BuildDockerfile(const BuildRequest& request, const std::filesystem::path& scratch, Output& out,
                               BuildResult& result);
  Result<void> BuildWithBuildpacks(const BuildRequest& request, const std::vector<std::string>& chosen,
                                   const std::filesystem::path& scratch, Output& out, BuildResult& result);

  const Settings& settings_;
  DockerClient& docker_;
  AppRepos& repos_;
  std::filesystem::path buildpacks_dir_;
  Clock& clock_;
  BuildpackFetcher fetcher_;
  SlugImage slug_image_;
  BuildSlots slots_;
  std::mutex fence_mu_;
  bool fenced_ = false;
  BuilderPool pool_;  // last: its destructor still uses docker_
};

}  // namespace ms
