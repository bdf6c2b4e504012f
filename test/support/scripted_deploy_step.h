#pragma once
// The deploy step end-to-end tests inject into an in-process daemon
// (TestServerOptions::deploy_script) where a test needs a deploy that fails or
// takes a while: the record step (deploy_step: record) with the script's work
// in the middle; the test flips its DeployScript while the daemon runs.

#include <atomic>
#include <memory>

#include "server/git/app_repos.h"
#include "server/git/deploy_step.h"
#include "server/store/store.h"

namespace ms::test {

struct DeployScript {
  std::atomic<bool> fail{false};     // the step fails (the push is rejected)
  std::atomic<int> delay_ms{0};      // the step says "Working..." and takes this long
};

std::unique_ptr<DeployStep> MakeScriptedDeployStep(Store& store, AppRepos& repos, DeployScript& script);

}  // namespace ms::test
