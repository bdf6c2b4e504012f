#include "server/process/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include <boost/process/search_path.hpp>

extern char** environ;

namespace ms {
namespace {

// Our environment with the spec's changes, as "NAME=value" strings.
std::vector<std::string> ChildEnvironment(const ChildSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    bool dropped = spec.env_set.contains(name);
    for (const auto& unset : spec.env_unset) dropped = dropped || unset == name;
    if (!dropped) env.push_back(std::move(entry));
  }
  for (const auto& [name, value] : spec.env_set) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Closes every descriptor from `from` up to and including `to`.
void CloseRange(int from, int to) {
  if (from > to) return;
  if (::close_range(static_cast<unsigned>(from), static_cast<unsigned>(to), 0) == 0) return;
  rlimit limit{};
  int last = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 1u << 20 ? static_cast<int>(limit.rlim_cur)
                                                                                   : 1 << 20;
  for (int fd = from; fd <= to && fd < last; ++fd) ::close(fd);
}

// In the child: writes errno to `report` for the parent and exits 127.
[[noreturn]] void ReportAndExit(int report) {
  int code = errno;
  while (::write(report, &code, sizeof code) < 0 && errno == EINTR) {
  }
  ::_exit(127);
}

// The child's side of the fork: system calls only (see the header).
[[noreturn]] void BecomeChild(const char* program, char* const* argv, char* const* envp, int in, int out, int err,
                              int64_t max_file_bytes, int report) {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // SIGKILL and SIGSTOP refuse: harmless
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Out of the way of 0, 1 and 2 first, so that one of them being another's
  // number cannot close it before it is used.
  int fds[3] = {in, out, err};
  for (int& fd : fds) {
    if ((fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) ReportAndExit(report);
  }
  for (int target = 0; target < 3; ++target) {
    if (::dup2(fds[target], target) < 0) ReportAndExit(report);
  }
  CloseRange(3, report - 1);
  CloseRange(report + 1, ~0u >> 1);
  if (max_file_bytes > 0) {
    rlimit cap{static_cast<rlim_t>(max_file_bytes), static_cast<rlim_t>(max_file_bytes)};
    if (::setrlimit(RLIMIT_FSIZE, &cap) != 0) ReportAndExit(report);
  }
  ::execve(program, argv, envp);
  ReportAndExit(report);
}

}  // namespace

Result<std::filesystem::path> FindProgram(const std::string& name) {
  auto found = boost::process::search_path(name);
  if (found.empty()) return NotFound(fmt::format("'{}' is not installed on the server", name));
  return std::filesystem::path(found.string());
}

Result<pid_t> StartChild(const ChildSpec& spec, int in, int out, int err) {
  // Everything the child needs is made here, before the fork.
  std::string program = spec.program.string();
  std::vector<std::string> args = {program};
  args.insert(args.end(), spec.args.begin(), spec.args.end());
  std::vector<std::string> env = ChildEnvironment(spec);
  std::vector<char*> argv = Pointers(args), envp = Pointers(env);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return Failed(fmt::format("cannot start {}: no pipe: {}", program, std::strerror(errno)));
  }
  pid_t pid = ::fork();
  if (pid == 0) BecomeChild(program.c_str(), argv.data(), envp.data(), in, out, err, spec.max_file_bytes, report[1]);
  int fork_errno = errno;
  ::close(report[1]);
  if (pid < 0) {
    ::close(report[0]);
    return Failed(fmt::format("cannot start {}: {}", program, std::strerror(fork_errno)));
  }
  // The report pipe closes at the exec (O_CLOEXEC): no bytes, it runs.
  int child_errno = 0;
  ssize_t n;
  while ((n = ::read(report[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n > 0) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return Failed(fmt::format("cannot start {}: {}", program, std::strerror(child_errno)));
  }
  return pid;
}

Result<std::optional<int>> WaitChild(pid_t pid, std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (deadline) {
    // (The syscall itself: glibc 2.36's <sys/pidfd.h> lacks extern "C".)
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) return Failed(fmt::format("cannot watch process {}: {}", pid, std::strerror(errno)));
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
      pollfd ready{pidfd, POLLIN, 0};
      int n = left.count() > 0 ? ::poll(&ready, 1, static_cast<int>(std::min<int64_t>(left.count(), 1 << 30))) : 0;
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {
        ::kill(pid, SIGKILL);
        int status;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        ::close(pidfd);
        return std::optional<int>();
      }
      break;  // it ended (or poll failed: waitpid below tells)
    }
    ::close(pidfd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Failed(fmt::format("lost track of process {}: {}", pid, std::strerror(errno)));
  }
  return std::optional<int>(status);
}

int ExitCode(int status) {
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

Result<std::optional<int>> RunQuietly(const ChildSpec& spec, const std::filesystem::path& err_file,
                                      std::optional<std::chrono::steady_clock::time_point> deadline) {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0) return Failed(fmt::format("cannot open /dev/null: {}", std::strerror(errno)));
  int err = err_file.empty() ? null : ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (err < 0) {
    int saved = errno;
    ::close(null);
    return Failed(fmt::format("cannot open {}: {}", err_file.string(), std::strerror(saved)));
  }
  auto pid = StartChild(spec, null, null, err);
  if (err != null) ::close(err);
  ::close(null);
  if (!pid) return std::unexpected(pid.error());
  return WaitChild(*pid, deadline);
}

Result<int> RunChild(const ChildSpec& spec, JobIO& io) {
  auto pid = StartChild(spec, io.in, io.out, io.err);
  if (!pid) return std::unexpected(pid.error());
  auto status = WaitChild(*pid);
  if (!status) return Failed(fmt::format("lost track of {}: {}", spec.program.string(), status.error().message));
  return ExitCode(**status);
}

}  // namespace ms
