#pragma once
// RecordDeployStep: the deploy step until the build pipeline exists. It records
// the deploy (app, commit, ref, key, times, outcome) and says which commit it will
// deploy. Two switches exist for tests, read from the daemon's environment:
//   MOTHERSHIP_TEST_DEPLOY_FAIL_FILE  when this file exists, the step fails;
//   MOTHERSHIP_TEST_DEPLOY_DELAY_MS   the step takes this long (to overlap pushes).

#include <string>

#include "server/deploy/deploy_step.h"
#include "server/git/app_repos.h"
#include "server/store/store.h"

namespace ms {

class RecordDeployStep : public DeployStep {
 public:
  RecordDeployStep(Store& store, AppRepos& repos);
  Result<void> Run(const DeployRequest& request, Output& out) override;

 private:
  Store& store_;
  AppRepos& repos_;
  std::string fail_file_;
  int delay_ms_ = 0;
};

}  // namespace ms
