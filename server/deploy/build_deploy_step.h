#pragma once
// BuildDeployStep: the deploy step of a push once Docker is there. It records the
// deploy, builds the commit into an image with the Builder (output streamed to
// the pusher and kept as the build's log), and records release vN with that
// image. A failed build records a failed deploy and rejects the push.

#include <mutex>

#include "server/build/builder.h"
#include "server/deploy/deploy_step.h"
#include "server/store/store.h"

namespace ms {

class BuildDeployStep : public DeployStep {
 public:
  BuildDeployStep(Store& store, AppRepos& repos, Builder& builder)
      : store_(store), repos_(repos), builder_(builder) {}
  Result<void> Run(const DeployRequest& request, Output& out) override;

 private:
  Store& store_;
  AppRepos& repos_;
  Builder& builder_;
  std::mutex stack_mu_;  // the first build makes missing stack images, once
};

}  // namespace ms
