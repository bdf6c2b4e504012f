#pragma once
// GitService: `git push` and `git clone`/`fetch` over SSH. It runs git's own
// receive-pack and upload-pack as child processes on the app's bare repository,
// wired to the SSH channel through a Job. A push holds the app's lock from start
// to end, so two pushes to one app never overlap (the second waits, and says so),
// and hands git what its pre-receive hook needs to call back into the daemon.

#include <filesystem>
#include <string>
#include <string_view>

#include "server/common/output.h"
#include "server/keys/caller.h"
#include "server/git/push_registry.h"
#include "server/process/job.h"
#include "server/services.h"

namespace ms {

class GitService {
 public:
  // hook_binary: mothershipd, whose `hook pre-receive` the repositories' hook runs
  // ($MOTHERSHIP_HOOK_BINARY in hooks/pre-receive); hook_socket: HookServer's socket.
  GitService(Services& services, PushRegistry& pushes, std::filesystem::path hook_binary,
             std::filesystem::path hook_socket);

  // The app named by git's repository argument: "APP", "/APP", "APP.git", "/APP.git".
  static Result<std::string> AppFromPath(std::string_view path);

  Job::Body ReceivePack(const std::string& app, const Caller& caller, const std::string& protocol);
  Job::Body UploadPack(const std::string& app, const Caller& caller, const std::string& protocol);

 private:
  int RunReceivePack(JobIO& io, const std::string& app, const Caller& caller,
                     const std::string& protocol);
  Result<int> RunGit(JobIO& io, const std::string& subcommand, const std::string& app,
                     std::map<std::string, std::string> env);
  // RunGit, its stdout passed on through a pipe; seen: whether marker was in it.
  Result<int> RunGitWatchingOutput(JobIO& io, const std::string& subcommand, const std::string& app,
                                   std::map<std::string, std::string> env, std::string_view marker, bool& seen);

  Services& services_;
  PushRegistry& pushes_;
  std::filesystem::path hook_binary_;
  std::filesystem::path hook_socket_;
};

}  // namespace ms
