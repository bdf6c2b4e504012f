#pragma once
// Dispatcher: turns one SSH exec request into a running Job. `git-receive-pack`
// and `git-upload-pack` go to the GitService; everything else is split into
// words (never through a shell) and run by the command Router. Any thread.

#include <map>
#include <memory>
#include <string>

#include "server/commands/command.h"
#include "server/process/job.h"

namespace ms {

class GitService;

struct ExecRequest {
  std::string command_line;
  Caller caller;
  std::map<std::string, std::string> env;  // accepted client env (GIT_PROTOCOL)
  bool pty = false;                        // the client asked for a terminal
};

class Dispatcher {
 public:
  Dispatcher(Services& services, GitService& git) : services_(services), git_(git) {}
  Result<std::unique_ptr<Job>> Start(const ExecRequest& request);

 private:
  Services& services_;
  GitService& git_;
};

}  // namespace ms
