// RunChild (server/process/child_process.h): a program run with its stdin,
// stdout and stderr on the given descriptors, from many threads at once as
// twenty pushes do.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
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

TEST_CASE("RunChild: a child starts while other threads allocate - none hangs", "[process]") {
  // A child that allocates between fork and exec waits forever for an
  // allocator lock another thread held at the fork (the ASan allocator has no
  // fork handler: CI hung here). 4 threads allocate without a pause while 8
  // threads start 25 children each.
  std::atomic<bool> stop = false;
  std::vector<std::thread> allocators;
  for (int t = 0; t < 4; ++t) {
    allocators.emplace_back([&] {
      while (!stop) {
        std::vector<std::string> garbage(64, std::string(100, 'x'));
      }
    });
  }
  std::atomic<int> wrong = 0;
  std::vector<std::thread> starters;
  for (int t = 0; t < 8; ++t) {
    starters.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (Run("echo hi") != std::pair<int, std::string>{0, "hi\n"}) ++wrong;
      }
    });
  }
  for (auto& t : starters) t.join();
  stop = true;
  for (auto& t : allocators) t.join();
  CHECK(wrong == 0);
}

TEST_CASE("RunChild: the child gets every signal at its default action and none blocked", "[process]") {
  // The daemon ignores SIGPIPE and a thread may block signals: a git that
  // inherited either would not die when its reader goes, nor on SIGTERM.
  struct sigaction ignore {}, old_pipe {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old_pipe);
  sigset_t block, old_mask;
  ::sigemptyset(&block);
  ::sigaddset(&block, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);
  auto [code, text] = Run("grep -E '^Sig(Blk|Ign)' /proc/self/status");
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  CHECK(code == 0);
  CHECK(text == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("RunChild: the environment as the spec says - a program that cannot run is an error", "[process]") {
  ::setenv("MS_CHILD_TEST_KEEP", "kept", 1);
  ::setenv("MS_CHILD_TEST_DROP", "dropped", 1);
  ms::ChildSpec spec{"/bin/sh",
                     {"-c", "echo \"$MS_CHILD_TEST_KEEP/${MS_CHILD_TEST_DROP-unset}/$MS_CHILD_TEST_SET\""},
                     {{"MS_CHILD_TEST_SET", "a b=c"}},
                     {"MS_CHILD_TEST_DROP"}};
  int out[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ms::JobIO io;
  io.in = io.err = null;
  io.out = out[1];
  auto code = ms::RunChild(spec, io);
  ::close(out[1]);
  char buf[256];
  ssize_t n = ::read(out[0], buf, sizeof buf);
  ::close(out[0]);
  CHECK(code == 0);
  CHECK(std::string(buf, static_cast<size_t>(std::max<ssize_t>(n, 0))) == "kept/unset/a b=c\n");

  spec.program = "/nonexistent/program";
  auto missing = ms::RunChild(spec, io);
  ::close(null);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "cannot start /nonexistent/program: No such file or directory");
  int status;
  CHECK(::waitpid(-1, &status, WNOHANG) == -1);  // no child left behind
  ::unsetenv("MS_CHILD_TEST_KEEP");
  ::unsetenv("MS_CHILD_TEST_DROP");
}

TEST_CASE("WaitChild: past the deadline the child is killed and reaped - max_file_bytes caps what it writes",
          "[process]") {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  auto pid = ms::StartChild({"/bin/sleep", {"30"}, {}, {}}, null, null, null);
  REQUIRE(pid);
  auto start = std::chrono::steady_clock::now();
  auto waited = ms::WaitChild(*pid, start + std::chrono::milliseconds(200));
  REQUIRE(waited);
  CHECK_FALSE(*waited);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  CHECK(::kill(*pid, 0) == -1);  // reaped: no such process

  auto dir = std::filesystem::temp_directory_path() / ("ms-child-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ms::ChildSpec spec{"/bin/sh", {"-c", "head -c 100000 /dev/zero > " + (dir / "file").string()}, {}, {}};
  spec.max_file_bytes = 1000;
  pid = ms::StartChild(spec, null, null, null);
  REQUIRE(pid);
  waited = ms::WaitChild(*pid, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  ::close(null);
  REQUIRE(waited);
  REQUIRE(*waited);
  CHECK(ms::ExitCode(**waited) == 128 + SIGXFSZ);  // head (or the shell telling of it)
  CHECK(std::filesystem::file_size(dir / "file") == 1000);
  std::filesystem::remove_all(dir);
}

TEST_CASE("RunQuietly: stderr into the file given, stdin and stdout on /dev/null - a deadline - a file that cannot "
          "be written", "[process]") {
  auto dir = std::filesystem::temp_directory_path() / ("ms-quiet-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto err = dir / "err";
  // stdout is /dev/null (what echo writes there is gone), stdin reads nothing.
  auto status = ms::RunQuietly({"/bin/sh", {"-c", "echo out; echo oops >&2; cat; exit 4"}, {}, {}}, err);
  REQUIRE(status);
  REQUIRE(*status);
  CHECK(ms::ExitCode(**status) == 4);
  std::ifstream in(err);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text == "oops\n");
  CHECK((std::filesystem::status(err).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));

  auto quiet = ms::RunQuietly({"/bin/sh", {"-c", "echo nothing to see >&2"}, {}, {}});
  REQUIRE(quiet);
  CHECK(ms::ExitCode(**quiet) == 0);

  auto late = ms::RunQuietly({"/bin/sleep", {"30"}, {}, {}}, {},
                             std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
  REQUIRE(late);
  CHECK_FALSE(*late);

  auto nowhere = ms::RunQuietly({"/bin/true", {}, {}, {}}, dir / "no" / "such" / "dir" / "err");
  REQUIRE_FALSE(nowhere);
  CHECK(nowhere.error().message.find("no/such/dir/err") != std::string::npos);
  std::filesystem::remove_all(dir);
}
