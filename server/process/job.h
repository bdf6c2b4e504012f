#pragma once
// Job: the work behind one SSH exec request, run on its own thread, talking
// through three pipes like a process does (stdin, stdout, stderr) and ending with
// an exit code. A builtin command and a bridged `git receive-pack` child are both
// Jobs, so the SSH transport moves bytes the same way for either.
//
// The owner (one SSH connection thread) uses the parent-side descriptors, which
// are non-blocking; the body uses JobIO, whose descriptors block. The body's end
// closes its side, so the owner sees EOF on stdout and stderr.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "server/common/result.h"

namespace ms {

// Writes all of a string to a blocking descriptor; after the reader went away
// (EPIPE) it silently drops further output. Used by job bodies.
class FdWriter {
 public:
  explicit FdWriter(int fd) : fd_(fd) {}
  void Write(std::string_view data);
  bool broken() const { return broken_; }

 private:
  int fd_;
  bool broken_ = false;
};

struct JobIO {
  int in = -1;
  int out = -1;
  int err = -1;
  // True once the client is gone (or the daemon is stopping): stop waiting.
  std::function<bool()> cancelled;
  // Reads stdin to EOF, at most max bytes (more is an error).
  Result<std::string> ReadAllStdin(size_t max);
};

class Job {
 public:
  using Body = std::function<int(JobIO&)>;

  // Makes the pipes and starts body on a new thread.
  static Result<std::unique_ptr<Job>> Start(Body body);
  ~Job();  // cancels and joins

  int stdin_fd() const { return stdin_w_; }
  int stdout_fd() const { return stdout_r_; }
  int stderr_fd() const { return stderr_r_; }
  void CloseStdin();
  void CloseStdout();
  void CloseStderr();

  void Cancel() { cancelled_ = true; }
  // Joins the thread; the body's return value.
  int Wait();

 private:
  Job() = default;
  int stdin_w_ = -1, stdout_r_ = -1, stderr_r_ = -1;
  std::atomic<bool> cancelled_{false};
  int exit_code_ = -1;
  std::thread thread_;
};

}  // namespace ms
