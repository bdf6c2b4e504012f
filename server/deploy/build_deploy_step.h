#pragma once
// BuildDeployStep: the deploy step of a push once Docker is there. It records the
// deploy, builds the commit into an image with the Builder (output streamed to
// the pusher and kept as the build's log), rolls it out on Swarm with the
// Runtime, and records release vN. A failed build or rollout records a failed
// deploy and rejects the push; the running release stays.

#include <functional>
#include <mutex>

#include "server/builder/builder.h"
#include "server/git/deploy_step.h"
#include "server/proxy/proxy_service.h"
#include "server/runtime/runtime.h"
#include "server/store/store.h"

namespace ms {

class BuildDeployStep : public DeployStep {
 public:
  // released: called after each release (the certificate manager looks at
  // the app); may be empty.
  BuildDeployStep(Store& store, AppRepos& repos, Builder& builder, Runtime& runtime, ProxyService& proxy,
                  std::function<void()> released = nullptr)
      : store_(store), repos_(repos), builder_(builder), runtime_(runtime), proxy_(proxy),
        released_(std::move(released)) {}
  Result<void> Run(const DeployRequest& request, Output& out) override;

 private:
  // app.json's healthchecks.web path ("" when none), which becomes the web
  // check (unless checks:set chose one); an error says what is wrong in it.
  Result<std::string> ReadAppJsonCheck(const DeployRequest& request);

  Store& store_;
  AppRepos& repos_;
  Builder& builder_;
  Runtime& runtime_;
  ProxyService& proxy_;
  std::function<void()> released_;
  std::mutex stack_mu_;  // the first build makes missing stack images, once
};

}  // namespace ms
