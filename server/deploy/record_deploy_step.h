#pragma once
// RecordDeployStep: the deploy step of a server that only records pushes
// (deploy_step: record, a host without Docker). It records the deploy (app,
// commit, ref, key, times, outcome) and says which commit it will deploy.
// `work` (tests give one) runs between the start and the end of the record;
// its error fails the deploy.

#include <functional>

#include "server/git/deploy_step.h"
#include "server/git/app_repos.h"
#include "server/store/store.h"

namespace ms {

class RecordDeployStep : public DeployStep {
 public:
  using Work = std::function<Result<void>(const DeployRequest&, Output&)>;
  RecordDeployStep(Store& store, AppRepos& repos, Work work = nullptr)
      : store_(store), repos_(repos), work_(std::move(work)) {}
  Result<void> Run(const DeployRequest& request, Output& out) override;

 private:
  Store& store_;
  AppRepos& repos_;
  Work work_;
};

}  // namespace ms
