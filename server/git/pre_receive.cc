#include "server/git/pre_receive.h"

#include <fmt/format.h>

#include "server/git/deploy_step.h"

namespace ms {
namespace {

bool IsZero(const std::string& sha) { return sha.find_first_not_of('0') == std::string::npos; }

std::string BranchOf(const std::string& ref) {
  constexpr std::string_view kHeads = "refs/heads/";
  return ref.starts_with(kHeads) ? ref.substr(kHeads.size()) : "";
}

// The branch a first push makes the deploy branch: main, else master.
std::string FirstDeployBranch(const std::vector<RefUpdate>& updates) {
  std::string found;
  for (const auto& u : updates) {
    if (IsZero(u.new_sha)) continue;
    std::string branch = BranchOf(u.ref);
    if (branch == "main") return branch;
    if (branch == "master") found = branch;
  }
  return found;
}

}  // namespace

int RunPreReceive(Services& services, const PushContext& push,
                  const std::vector<RefUpdate>& updates,
                  const std::filesystem::path& objects_dir, Output& out) {
  auto app = services.store.GetApp(push.app);
  std::string deploy_branch = app ? app->deploy_branch : "";
  if (deploy_branch.empty()) {
    deploy_branch = FirstDeployBranch(updates);
    if (deploy_branch.empty()) {
      out.Write(fmt::format(
          "-----> {} has no deploy branch yet: push main or master first "
          "(git push mothership HEAD:main)\n",
          push.app));
      if (!app) return 1;  // a new app needs a deployable first push
    } else {
      if (!app) {
        app = services.store.CreateApp(push.app, push.key_name);
        if (!app) {
          out.Write(fmt::format("-----> Cannot create {}: {}\n", push.app, app.error().message));
          return 1;
        }
        out.Write(fmt::format("-----> Created app {}\n", push.app));
        (void)services.store.AddAudit(
            {.actor = push.key_name, .address = push.address, .app = push.app, .action = "apps:create", .detail = "by push"});
      }
      if (auto r = services.store.SetDeployBranch(push.app, deploy_branch); !r) {
        out.Write(fmt::format("-----> {}\n", r.error().message));
        return 1;
      }
      if (auto r = services.repos.SetHead(push.app, deploy_branch); !r) {
        out.Write(fmt::format("-----> {}\n", r.error().message));
        return 1;
      }
      out.Write(fmt::format("-----> Deploy branch of {} is {}\n", push.app, deploy_branch));
    }
  }
  int status = 0;
  for (const auto& u : updates) {
    if (BranchOf(u.ref) != deploy_branch || deploy_branch.empty()) {
      if (!IsZero(u.new_sha)) {
        out.Write(fmt::format("-----> Stored {} (not deployed: {} deploys from {})\n", u.ref,
                              push.app, deploy_branch.empty() ? "main or master" : deploy_branch));
      }
      continue;
    }
    if (IsZero(u.new_sha)) {
      out.Write(fmt::format(
          "-----> Refusing to delete {}, the branch {} deploys from; destroy the app instead "
          "(apps:destroy)\n",
          deploy_branch, push.app));
      status = 1;
      continue;
    }
    DeployRequest request{push.app, u.new_sha, u.ref, push.key_name, objects_dir, push.client_gone};
    auto result = services.deploy.Run(request, out);
    (void)services.store.AddAudit({.actor = push.key_name,
                                   .address = push.address,
                                   .app = push.app,
                                   .action = "deploy",
                                   .detail = fmt::format("{} {} {}", u.new_sha.substr(0, 7), u.ref,
                                                         result ? "succeeded" : "failed")});
    if (!result) {
      out.Write(fmt::format("-----> Deploy failed: {}\n", result.error().message));
      out.Write(fmt::format("-----> The push was rejected; {} is unchanged.\n", push.app));
      status = 1;
    }
  }
  return status;
}

}  // namespace ms
