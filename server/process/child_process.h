#pragma once
// Running a program (git, iptables) as a child process, its stdin, stdout and
// stderr on given descriptors and nothing else of ours open in it. No shell is
// involved: the arguments reach the program as they are.
//
// Any thread may start and wait for children, many at once (twenty pushes
// do). Between fork and exec the child makes system calls only, never malloc:
// another thread may hold an allocator lock at the fork, and the child would
// wait for it forever (seen under ASan, whose allocator has no fork handler).

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "server/common/result.h"
#include "server/process/job.h"

namespace ms {

struct ChildSpec {
  std::filesystem::path program;  // absolute path
  std::vector<std::string> args;
  std::map<std::string, std::string> env_set;  // added to (or replacing in) our environment
  std::vector<std::string> env_unset;
  // RLIMIT_FSIZE of the child: a file written past it ends it with SIGXFSZ.
  // 0: ours.
  int64_t max_file_bytes = 0;
};

// Finds a program on PATH; NotFound names it.
Result<std::filesystem::path> FindProgram(const std::string& name);

// Starts the child with `in`, `out` and `err` as its descriptors 0, 1 and 2,
// every signal at its default action and none blocked; its pid. Fails, saying
// why, when the program cannot be run (then no child is left).
Result<pid_t> StartChild(const ChildSpec& spec, int in, int out, int err);

// Waits for the child to end and returns its wait status. With a deadline:
// nullopt once it has passed, the child then killed (SIGKILL) and reaped.
Result<std::optional<int>> WaitChild(pid_t pid,
                                     std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

// A wait status as a shell tells it: the exit code, 128+N for signal N.
int ExitCode(int status);

// Runs the child with stdin and stdout on /dev/null and stderr into err_file
// (empty: /dev/null, else created or truncated, mode 0600) until it ends; its
// wait status, nullopt once the deadline passed (the child then killed and
// reaped). An error says why it could not start or be waited for.
Result<std::optional<int>> RunQuietly(const ChildSpec& spec, const std::filesystem::path& err_file = {},
                                      std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

// Runs the child to completion and returns its exit code (128+N for a signal).
// The child ends when its input closes and its output is gone, as git does when
// the client disconnects or the daemon closes the connection.
Result<int> RunChild(const ChildSpec& spec, JobIO& io);

}  // namespace ms
