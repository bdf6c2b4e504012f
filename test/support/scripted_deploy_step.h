#pragma once
// ScriptedDeployStep: the deploy step end-to-end tests inject into an
// in-process daemon (TestServerOptions::deploy_script) where a test needs a
// deploy that fails or takes a while. It records deploys as the record step
// does; the test flips its DeployScript while the daemon runs.

#include <atomic>

#include "server/git/deploy_step.h"
#include "server/git/app_repos.h"
#include "server/store/store.h"

namespace ms::test {

struct DeployScript {
  std::atomic<bool> fail{false};     // the step fails (the push is rejected)
  std::atomic<int> delay_ms{0};      // the step says "Working..." and takes this long
};

class ScriptedDeployStep : public DeployStep {
 public:
  ScriptedDeployStep(Store& store, AppRepos& repos, DeployScript& script)
      : store_(store), repos_(repos), script_(script) {}
  Result<void> Run(const DeployRequest& request, Output& out) override;

 private:
  Store& store_;
  AppRepos& repos_;
  DeployScript& script_;
};

}  // namespace ms::test
