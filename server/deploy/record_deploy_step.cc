#include "server/deploy/record_deploy_step.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "server/common/output.h"

namespace ms {

RecordDeployStep::RecordDeployStep(Store& store, AppRepos& repos) : store_(store), repos_(repos) {
  if (const char* f = std::getenv("MOTHERSHIP_TEST_DEPLOY_FAIL_FILE")) fail_file_ = f;
  if (const char* d = std::getenv("MOTHERSHIP_TEST_DEPLOY_DELAY_MS")) delay_ms_ = std::atoi(d);
}

Result<void> RecordDeployStep::Run(const DeployRequest& request, Output& out) {
  auto summary = repos_.CommitSummary(request.app, request.commit, request.objects_dir);
  if (!summary) return std::unexpected(summary.error());
  out.Write(fmt::format("-----> Deploying {} {} ({}) pushed by {}\n", request.app,
                        request.commit.substr(0, 7), *summary, request.key_name));
  auto id = store_.StartDeploy(Deploy{0, request.app, request.commit, request.ref,
                                      request.key_name, "running", "", "", ""});
  if (!id) return std::unexpected(id.error());
  if (delay_ms_ > 0) {
    out.Write("-----> Working...\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
  }
  std::error_code ec;
  if (!fail_file_.empty() && std::filesystem::exists(fail_file_, ec)) {
    (void)store_.FinishDeploy(*id, false, "deploy step failed (test switch)");
    return Failed("deploy step failed (test switch MOTHERSHIP_TEST_DEPLOY_FAIL_FILE)");
  }
  if (auto r = store_.FinishDeploy(*id, true, ""); !r) return r;
  out.Write(fmt::format("-----> Deploy #{} recorded: {} will be deployed\n", *id, request.commit));
  return {};
}

}  // namespace ms
