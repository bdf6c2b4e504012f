#include "server/deploy/record_deploy_step.h"

#include <fmt/format.h>

#include "server/common/output.h"

namespace ms {

Result<void> RecordDeployStep::Run(const DeployRequest& request, Output& out) {
  auto summary = repos_.CommitSummary(request.app, request.commit, request.objects_dir);
  if (!summary) return std::unexpected(summary.error());
  out.Write(fmt::format("-----> Deploying {} {} ({}) pushed by {}\n", request.app,
                        request.commit.substr(0, 7), *summary, request.key_name));
  auto id = store_.StartDeploy(Deploy{0, request.app, request.commit, request.ref,
                                      request.key_name, "running", "", "", ""});
  if (!id) return std::unexpected(id.error());
  if (request.on_started) request.on_started(*id);
  if (work_) {
    if (auto r = work_(request, out); !r) {
      (void)store_.FinishDeploy(*id, false, r.error().message);
      return r;
    }
  }
  if (auto r = store_.FinishDeploy(*id, true, ""); !r) return r;
  out.Write(fmt::format("-----> Deploy #{} recorded: {} will be deployed\n", *id, request.commit));
  return {};
}

}  // namespace ms
