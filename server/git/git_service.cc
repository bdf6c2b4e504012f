#include "server/git/git_service.h"

#include "server/common/disk_space.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "server/keys/app_access.h"
#include "server/common/log.h"
#include "server/common/names.h"
#include "server/process/child_process.h"

namespace ms {

GitService::GitService(Services& services, PushRegistry& pushes, std::filesystem::path hook_binary,
                       std::filesystem::path hook_socket)
    : services_(services), pushes_(pushes), hook_binary_(std::move(hook_binary)),
      hook_socket_(std::move(hook_socket)) {}

Result<std::string> GitService::AppFromPath(std::string_view path) {
  std::string_view name = path;
  if (name.starts_with('/')) name.remove_prefix(1);
  if (name.ends_with(".git")) name.remove_suffix(4);
  if (auto r = ValidateAppName(name); !r) {
    return InvalidArgument(fmt::format(
        "'{}' does not name an app. Use a remote like ssh://git@HOST:PORT/APP (app names: "
        "lowercase letters, digits and hyphens, starting with a letter)",
        path.substr(0, 64)));
  }
  return std::string(name);
}

Result<int> GitService::RunGit(JobIO& io, const std::string& subcommand, const std::string& app,
                               std::map<std::string, std::string> env) {
  auto git = FindProgram("git");
  if (!git) return std::unexpected(git.error());
  ChildSpec spec;
  spec.program = *git;
  spec.args = {subcommand, services_.repos.PathOf(app).string()};
  spec.env_set = std::move(env);
  spec.env_unset = {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG_PARAMETERS"};
  if (!spec.env_set.contains("GIT_CONFIG_COUNT")) spec.env_unset.push_back("GIT_CONFIG_COUNT");
  return RunChild(spec, io);
}

Result<int> GitService::RunGitWatchingOutput(JobIO& io, const std::string& subcommand, const std::string& app,
                                             std::map<std::string, std::string> env, std::string_view marker,
                                             bool& seen) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Failed(fmt::format("cannot make a pipe: {}", std::strerror(errno)));
  seen = false;
  std::thread relay([&, from = fds[0]] {
    FdWriter to(io.out);
    std::string tail;  // the end of what was read, for a marker split across reads
    char buf[16384];
    for (;;) {
      ssize_t n = ::read(from, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      to.Write(std::string_view(buf, static_cast<size_t>(n)));
      tail.append(buf, static_cast<size_t>(n));
      if (tail.find(marker) != std::string::npos) seen = true;
      if (tail.size() > marker.size()) tail.erase(0, tail.size() - marker.size());
    }
    ::close(from);
  });
  JobIO child_io = io;
  child_io.out = fds[1];
  auto code = RunGit(child_io, subcommand, app, std::move(env));
  ::close(fds[1]);
  relay.join();
  return code;
}

Job::Body GitService::ReceivePack(const std::string& app, const Caller& caller,
                                  const std::string& protocol) {
  return [this, app, caller, protocol](JobIO& io) {
    return RunReceivePack(io, app, caller, protocol);
  };
}

int GitService::RunReceivePack(JobIO& io, const std::string& app, const Caller& caller,
                               const std::string& protocol) {
  FdWriter err(io.err);
  AppLock lock = services_.locks.TryAcquire(app);
  if (!lock) {
    err.Write(fmt::format("-----> Another push to {} is deploying; waiting for it to finish...\n", app));
    lock = services_.locks.Acquire(app, io.cancelled);
    if (!lock) return 1;
  }
  bool known = services_.store.GetApp(app).has_value();
  bool allowed = known && CheckAppAccess(services_.store, caller, app, AppNeed::kMember).has_value();
  if (!allowed && !services_.settings.auto_create_apps) {
    err.Write(fmt::format("error: {}. Create it first: apps:create {}\n", NoSuchApp(app), app));
    return 1;
  }
  if (!allowed) {
    // The push would create the app: the name must be one this caller may take.
    if (auto r = CheckNewAppName(services_, caller, app); !r) {
      err.Write(fmt::format("error: {}\n", r.error().message));
      return 1;
    }
  }
  // A full disk: refused before git writes anything.
  if (auto free = FreeMb(services_.settings.data_dir); free && *free < kPushNeedsFreeMb) {
    err.Write(fmt::format("error: the server's disk is full: {} MB free under {}, and a push needs {} MB. Ask the "
                          "server's operator to free space, then push again.\n",
                          *free, services_.settings.data_dir.string(), kPushNeedsFreeMb));
    return 1;
  }
  // A push to a new app works in a provisional repository; the pre-receive hook
  // creates the app when main or master arrives, and otherwise it is removed below.
  if (!services_.repos.Exists(app)) {
    if (auto r = services_.repos.Create(app); !r) {
      err.Write(fmt::format("error: {}\n", r.error().message));
      return 1;
    }
  }
  std::string token = pushes_.Register({app, caller.key_name, caller.address, nullptr}, io.cancelled);
  std::map<std::string, std::string> env = {{"MOTHERSHIP_HOOK_BINARY", hook_binary_.string()},
                                            {"MOTHERSHIP_HOOK_SOCKET", hook_socket_.string()},
                                            {"MOTHERSHIP_PUSH_TOKEN", token}};
  if (!protocol.empty()) env["GIT_PROTOCOL"] = protocol;
  // Objects are checked before they are stored (a malformed object is
  // refused with git's reason), and a pack over max_push_mb is refused.
  env["GIT_CONFIG_COUNT"] = "2";
  env["GIT_CONFIG_KEY_0"] = "receive.fsckObjects";
  env["GIT_CONFIG_VALUE_0"] = "true";
  env["GIT_CONFIG_KEY_1"] = "receive.maxInputSize";
  env["GIT_CONFIG_VALUE_1"] = std::to_string(int64_t{services_.settings.max_push_mb} * 1024 * 1024);
  // git's answer to the client passes through here, to see whether it ran out
  // of disk space writing the objects (git then says so and exits 0).
  bool disk_full = false;
  auto code = RunGitWatchingOutput(io, "receive-pack", app, std::move(env), "No space left on device", disk_full);
  pushes_.Unregister(token);
  if (!services_.store.GetApp(app).has_value()) (void)services_.repos.Remove(app);
  if (!code) {
    err.Write(fmt::format("error: {}\n", code.error().message));
    return 1;
  }
  // (git has said why; when the disk filled up, say what to do.)
  if (disk_full || *code != 0) {
    auto advice = DiskFullAdvice(services_.settings.data_dir, disk_full ? "no space left on device" : "");
    if (!advice.empty()) err.Write(fmt::format("error: {}\n", advice));
  }
  LogInfo("push to {} by {} ended with status {}", app, caller.key_name, *code);
  return *code;
}

Job::Body GitService::UploadPack(const std::string& app, const Caller& caller, const std::string& protocol) {
  return [this, app, caller, protocol](JobIO& io) {
    FdWriter err(io.err);
    auto access = CheckAppAccess(services_.store, caller, app, AppNeed::kMember);
    if (!access || !services_.repos.Exists(app)) {
      err.Write(fmt::format("error: {}\n", NoSuchApp(app)));
      return 1;
    }
    std::map<std::string, std::string> env;
    if (!protocol.empty()) env["GIT_PROTOCOL"] = protocol;
    auto code = RunGit(io, "upload-pack", app, std::move(env));
    if (!code) {
      err.Write(fmt::format("error: {}\n", code.error().message));
      return 1;
    }
    return *code;
  };
}

}  // namespace ms
