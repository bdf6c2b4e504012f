#pragma once
// RecordDeployStep: the deploy step of a server that only records pushes
// (deploy_step: record, a host without Docker). It records the deploy (app,
// commit, ref, key, times, outcome) and says which commit it will deploy.

#include "server/git/deploy_step.h"
#include "server/git/app_repos.h"
#include "server/store/store.h"

namespace ms {

class RecordDeployStep : public DeployStep {
 public:
  RecordDeployStep(Store& store, AppRepos& repos) : store_(store), repos_(repos) {}
  Result<void> Run(const DeployRequest& request, Output& out) override;

 private:
  Store& store_;
  AppRepos& repos_;
};

}  // namespace ms
