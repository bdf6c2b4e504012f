#include "server/deploy/build_deploy_step.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>

#include "server/common/disk_space.h"
#include "server/common/output.h"
#include "server/deploy/app_json.h"
#include "server/runtime/service_spec.h"

namespace ms {
namespace {

// Sends output to the pusher and keeps a copy for builds:output.
class TeeOutput : public Output {
 public:
  explicit TeeOutput(Output& out) : out_(out) {}
  void Write(std::string_view data) override {
    out_.Write(data);
    if (log_.size() < (4u << 20)) log_.append(data);
  }
  const std::string& log() const { return log_; }

 private:
  Output& out_;
  std::string log_;
};

}  // namespace

Result<std::string> BuildDeployStep::ReadAppJsonCheck(const DeployRequest& request) {
  auto text = repos_.ReadFile(request.app, request.commit, request.objects_dir, "app.json");
  if (!text) return "";
  return ParseAppJsonCheckPath(*text);
}

Result<void> BuildDeployStep::Run(const DeployRequest& request, Output& out) {
  auto start = std::chrono::steady_clock::now();
  auto summary = repos_.CommitSummary(request.app, request.commit, request.objects_dir);
  if (!summary) return std::unexpected(summary.error());
  auto config = store_.GetConfig(request.app);
  if (!config) return std::unexpected(config.error());
  auto buildpacks = store_.GetBuildpacks(request.app);
  if (!buildpacks) return std::unexpected(buildpacks.error());
  auto version = store_.NextReleaseVersion(request.app);
  if (!version) return std::unexpected(version.error());
  auto id = store_.StartDeploy(Deploy{0, request.app, request.commit, request.ref, request.key_name,
                                      "running", "", "", ""});
  if (!id) return std::unexpected(id.error());
  if (request.on_started) request.on_started(*id);

  TeeOutput tee(out);
  tee.Write(fmt::format("-----> Building {} {} ({}) pushed by {}\n", request.app,
                        request.commit.substr(0, 7), *summary, request.key_name));
  // app.json before the build, which a mistake in it would only waste.
  auto check_path = ReadAppJsonCheck(request);
  if (!check_path) {
    tee.Write(fmt::format("-----> Deploy failed: {}\n", check_path.error().message));
    (void)store_.SetDeployLog(*id, tee.log());
    (void)store_.FinishDeploy(*id, false, check_path.error().message);
    return Failed("app.json was refused");
  }
  Result<BuildResult> built = [&]() -> Result<BuildResult> {
    {
      std::lock_guard lock(stack_mu_);
      PrefixedOutput progress(tee, "-----> ");
      auto images = builder_.EnsureStackImages(false, progress);
      if (!images) return std::unexpected(images.error());
    }
    return builder_.Build(
        BuildRequest{request.app, request.commit, *version, request.objects_dir, *config, *buildpacks,
                     request.client_gone},
        tee);
  }();
  if (!built) {
    tee.Write(fmt::format("-----> Build failed: {}\n", built.error().message));
    auto advice = DiskFullAdvice(repos_.PathOf(request.app), built.error().message);
    if (!advice.empty()) tee.Write(fmt::format("-----> {}{}\n", char(std::toupper(advice[0])), advice.substr(1)));
    (void)store_.SetDeployLog(*id, tee.log());
    (void)store_.FinishDeploy(*id, false, built.error().message);
    return Failed("the build failed");
  }
  // The commit stays in the repository whatever happens to the push from here:
  // a release recorded before the daemon stops still has it (daemon.cc).
  if (auto r = repos_.KeepObjects(request.app, request.objects_dir); !r) {
    tee.Write(fmt::format("-----> Deploy failed: {}\n", r.error().message));
    (void)store_.SetDeployLog(*id, tee.log());
    (void)store_.FinishDeploy(*id, false, r.error().message);
    return Failed("the pushed commit could not be kept");
  }
  Release release;
  release.version = *version;
  release.image = built->image;
  release.description = fmt::format("Deploy {} by {}", request.commit.substr(0, 7), request.key_name);
  release.config = *config;
  release.process_types = built->process_types;
  release.deploy_id = *id;
  if (auto r = store_.SetAppJsonCheckPath(request.app, *check_path); !r) return r;
  if (auto r = runtime_.Deploy(request.app, release, tee); !r) {
    tee.Write(fmt::format("-----> Deploy failed: {}\n", r.error().message));
    (void)store_.SetDeployLog(*id, tee.log());
    (void)store_.FinishDeploy(*id, false, r.error().message);
    return Failed("the new release did not start");
  }
  if (auto r = store_.CreateRelease(request.app, release); !r) return r;
  if (auto releases = store_.ListReleases(request.app, 1000); releases) {
    builder_.PruneImages(request.app, *version, *releases);
  }
  // The proxy joins the app's network on its first deploy and routes to it.
  PrefixedOutput proxy_progress(tee, "       ");
  if (auto r = proxy_.Ensure(proxy_progress); !r) {
    tee.Write(fmt::format("-----> Warning: the proxy could not be updated: {}\n", r.error().message));
  } else if (auto routed = proxy_.WaitRouted(request.app); !routed) {
    tee.Write(fmt::format("-----> Warning: {}\n", routed.error().message));
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  tee.Write(fmt::format("-----> Released v{}: {} (deployed in {:.1f} s)\n", *version, built->image, seconds));
  tee.Write(fmt::format("       {}\n", proxy_.AppUrl(request.app)));
  (void)store_.SetDeployLog(*id, tee.log());
  if (auto r = store_.FinishDeploy(*id, true, ""); !r) return r;
  if (released_) released_();
  return {};
}

}  // namespace ms
