#include "server/commands/dispatcher.h"

#include <fmt/format.h>

#include "server/commands/router.h"
#include "server/common/shell_words.h"
#include "server/git/git_service.h"

namespace ms {
namespace {

class FdOutput : public Output {
 public:
  explicit FdOutput(int fd) : writer_(fd) {}
  void Write(std::string_view data) override { writer_.Write(data); }

 private:
  FdWriter writer_;
};

class FdInput : public Input {
 public:
  explicit FdInput(JobIO& io) : io_(io) {}
  Result<std::string> ReadAll(size_t max) override { return io_.ReadAllStdin(max); }

 private:
  JobIO& io_;
};

}  // namespace

Result<std::unique_ptr<Job>> Dispatcher::Start(const ExecRequest& request) {
  auto words = SplitShellWords(request.command_line);
  if (!words) {
    std::string message = fmt::format("error: cannot parse the command: {}\n", words.error().message);
    return Job::Start([message](JobIO& io) {
      FdWriter(io.err).Write(message);
      return kExitUsage;
    });
  }
  std::vector<std::string> argv = std::move(*words);
  if (!argv.empty() && (argv[0] == "git-receive-pack" || argv[0] == "git-upload-pack")) {
    bool receive = argv[0] == "git-receive-pack";
    if (argv.size() != 2) {
      return Job::Start([](JobIO& io) {
        FdWriter(io.err).Write("error: expected one repository path, as git sends it\n");
        return kExitUsage;
      });
    }
    auto app = GitService::AppFromPath(argv[1]);
    if (!app) {
      std::string message = fmt::format("error: {}\n", app.error().message);
      return Job::Start([message](JobIO& io) {
        FdWriter(io.err).Write(message);
        return kExitError;
      });
    }
    auto it = request.env.find("GIT_PROTOCOL");
    std::string protocol = it == request.env.end() ? "" : it->second;
    return Job::Start(receive ? git_.ReceivePack(*app, request.caller, protocol)
                              : git_.UploadPack(*app, request.caller, protocol));
  }
  Services& services = services_;
  Caller caller = request.caller;
  bool pty = request.pty;
  return Job::Start([&services, caller, argv, pty](JobIO& io) {
    FdOutput out(io.out), err(io.err);
    FdInput in(io);
    CommandContext ctx{services, caller, out, err, in, false, pty, io.in, io.cancelled, 0};
    return RunCommand(ctx, argv);
  });
}

}  // namespace ms
