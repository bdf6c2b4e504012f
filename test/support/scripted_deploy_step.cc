#include "test/support/scripted_deploy_step.h"

#include <chrono>
#include <thread>

#include "server/common/output.h"
#include "server/deploy/record_deploy_step.h"

namespace ms::test {

std::unique_ptr<DeployStep> MakeScriptedDeployStep(Store& store, AppRepos& repos, DeployScript& script) {
  return std::make_unique<RecordDeployStep>(store, repos, [&script](const DeployRequest&, Output& out) -> Result<void> {
    if (int ms = script.delay_ms; ms > 0) {
      out.Write("-----> Working...\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // the deploy's own duration
    }
    if (script.fail) return Failed("the test's deploy step failed");
    return {};
  });
}

}  // namespace ms::test
