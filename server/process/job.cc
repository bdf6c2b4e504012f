#include "server/process/job.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <string.h>
#include <unistd.h>

namespace ms {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

void FdWriter::Write(std::string_view data) {
  while (!broken_ && !data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broken_ = true;
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

Result<std::string> JobIO::ReadAllStdin(size_t max) {
  std::string data;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Failed(fmt::format("cannot read input: {}", strerror(errno)));
    if (n == 0) return data;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > max) return InvalidArgument(fmt::format("input is larger than {} bytes", max));
  }
}

Result<std::unique_ptr<Job>> Job::Start(Body body) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Failed("cannot create a pipe");
  if (pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]);
    return Failed("cannot create a pipe");
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]), ::close(out[0]), ::close(out[1]);
    return Failed("cannot create a pipe");
  }
  std::unique_ptr<Job> job(new Job());
  job->stdin_w_ = in[1];
  job->stdout_r_ = out[0];
  job->stderr_r_ = err[0];
  for (int fd : {in[1], out[0], err[0]}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  Job* self = job.get();
  job->thread_ = std::thread([self, body = std::move(body), rd = in[0], wo = out[1], we = err[1]]() mutable {
    JobIO io{rd, wo, we, [self] { return self->cancelled_.load(); }};
    int code = 1;
    try {
      code = body(io);
    } catch (const std::exception& e) {
      FdWriter(we).Write(fmt::format("error: internal error: {}\n", e.what()));
    } catch (...) {  // (an exception escaping a thread would end the daemon)
      FdWriter(we).Write("error: internal error\n");
    }
    self->exit_code_ = code;
    ::close(rd);
    ::close(wo);
    ::close(we);
  });
  return job;
}

Job::~Job() {
  Cancel();
  CloseStdin();
  CloseStdout();
  CloseStderr();
  if (thread_.joinable()) thread_.join();
}

void Job::CloseStdin() { CloseFd(stdin_w_); }
void Job::CloseStdout() { CloseFd(stdout_r_); }
void Job::CloseStderr() { CloseFd(stderr_r_); }

int Job::Wait() {
  if (thread_.joinable()) thread_.join();
  return exit_code_;
}

}  // namespace ms
