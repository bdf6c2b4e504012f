// RunChild (server/process/child_process.h): a program run with its stdin,
// stdout and stderr on the given descriptors, from many threads at once as
// twenty pushes do.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "server/process/child_process.h"

namespace {

// Runs `program args...` with stdin from /dev/null and stdout into a pipe;
// returns the exit code (-1: it could not run) and what it printed. (No Catch2
// assertion here: threads call it.)
std::pair<int, std::string> RunProgram(const std::string& program, std::vector<std::string> args) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return {-1, "pipe2 failed"};
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ms::JobIO io;
  io.in = null;
  io.out = out[1];
  io.err = null;
  auto code = ms::RunChild({program, std::move(args), {}, {}}, io);
  ::close(out[1]);
  ::close(null);
  std::string text;
  char buf[256];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  return {code ? *code : -1, text};
}

// `sh -c script`, as RunProgram.
std::pair<int, std::string> Run(const std::string& script) { return RunProgram("/bin/sh", {"-c", script}); }

}  // namespace

TEST_CASE("RunChild returns the exit code and a signal as 128+N", "[process]") {
  CHECK(Run("exit 3").first == 3);
  CHECK(Run("kill -TERM $$").first == 128 + 15);
  CHECK(Run("echo hi") == std::pair<int, std::string>{0, "hi\n"});
}

TEST_CASE("RunChild: the child has only stdin, stdout and stderr open - from 16 threads at once, 50 children each",
          "[process]") {
  // Boost.Process's shared limit_handles object is not safe to use from two
  // threads at once (boostorg/process#370): this is what twenty pushes do.
  constexpr int kThreads = 16, kEach = 50;
  std::atomic<int> wrong = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        // Descriptors open in the child, but the one ls uses for the listing
        // (ls run directly: one process a child, not a shell pipeline's four).
        auto [code, fds] = RunProgram("/bin/ls", {"/proc/self/fd"});
        if (code != 0 || fds != "0\n1\n2\n3\n") ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
}
