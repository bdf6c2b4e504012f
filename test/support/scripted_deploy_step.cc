#include "test/support/scripted_deploy_step.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "server/commands/command.h"

namespace ms::test {

Result<void> ScriptedDeployStep::Run(const DeployRequest& request, Output& out) {
  auto summary = repos_.CommitSummary(request.app, request.commit, request.objects_dir);
  if (!summary) return std::unexpected(summary.error());
  out.Write(fmt::format("-----> Deploying {} {} ({}) pushed by {}\n", request.app,
                        request.commit.substr(0, 7), *summary, request.key_name));
  auto id = store_.StartDeploy(Deploy{0, request.app, request.commit, request.ref,
                                      request.key_name, "running", "", "", ""});
  if (!id) return std::unexpected(id.error());
  if (int ms = script_.delay_ms; ms > 0) {
    out.Write("-----> Working...\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // the deploy's own duration
  }
  if (script_.fail) {
    (void)store_.FinishDeploy(*id, false, "the test's deploy step failed");
    return Failed("the test's deploy step failed");
  }
  if (auto r = store_.FinishDeploy(*id, true, ""); !r) return r;
  out.Write(fmt::format("-----> Deploy #{} recorded: {} will be deployed\n", *id, request.commit));
  return {};
}

}  // namespace ms::test
