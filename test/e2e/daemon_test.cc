// The daemon as a whole: restarts, many clients, stalled clients, timeouts, setup.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>

#include "test/support/test_server.h"

using ms::test::TestServer;

namespace {

int ConnectRaw(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// Reads what the server sent so far without waiting; false when the server has closed `fd`.
bool StillOpen(int fd) {
  char buf[512];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return true;
    if (read(fd, buf, sizeof buf) <= 0) return false;
  }
}

// True when the server closes the connection within `seconds` (reads and drops its banner).
bool ClosedWithin(int fd, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    if (!StillOpen(fd)) return true;
  }
  return false;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("a restart keeps apps / keys / config and the host key") {
  TestServer s;
  auto dev = s.NewKey("dev");
  s.AddKey("dev", dev, "developer");
  REQUIRE(s.Ssh("apps:create keep").exit_code == 0);
  REQUIRE(s.Ssh("config:set keep 'MSG=hello world'").exit_code == 0);
  REQUIRE(s.Ssh("access:add keep dev").exit_code == 0);
  auto repo = s.MakeRepo("src", 2);
  REQUIRE(s.Git({"push", s.Url("keep"), "main"}, repo).exit_code == 0);

  REQUIRE(s.Stop() == 0);
  s.Start();  // same port; known_hosts makes ssh refuse a changed host key
  CHECK(s.Ssh("apps:list").out.find("keep") != std::string::npos);
  CHECK(s.SshAs(dev, "config:get keep MSG").out == "hello world\n");
  auto clone = s.Git({"clone", "-q", s.Url("keep"), "clone"}, s.dir());
  REQUIRE(clone.exit_code == 0);
  CHECK(s.Head(s.dir() / "clone") == s.Head(repo));
  CHECK(s.Stop() == 0);
}

TEST_CASE("a stalled client does not block others - many clients at once") {
  // Long enough that the stalled clients are still waiting when the others are done.
  TestServer s({.configure = [](ms::Settings& settings) { settings.ssh_auth_timeout_seconds = 300; }});
  // One client says nothing, one stops halfway through its version line.
  int silent = ConnectRaw(s.port());
  int half = ConnectRaw(s.port());
  REQUIRE(write(half, "SSH-2.0-", 8) == 8);
  CHECK(s.Ssh("version").exit_code == 0);
  std::vector<std::future<ms::test::RunResult>> runs;
  for (int i = 0; i < 12; ++i) {
    runs.push_back(std::async(std::launch::async, [&] { return s.Ssh("apps:list"); }));
  }
  for (auto& r : runs) CHECK(r.get().exit_code == 0);
  // Served while the stalled ones were still waiting, not after the server gave up on them.
  CHECK(StillOpen(silent));
  CHECK(StillOpen(half));
  close(silent);
  close(half);
}

TEST_CASE("unauthenticated connections time out") {
  TestServer s({.configure = [](ms::Settings& settings) { settings.ssh_auth_timeout_seconds = 2; }});
  auto start = std::chrono::steady_clock::now();
  int fd = ConnectRaw(s.port());
  CHECK(StillOpen(fd));
  CHECK(ClosedWithin(fd, 15));
  // Not before the two seconds it was given.
  CHECK(SecondsSince(start) >= 1.9);
  close(fd);
  CHECK(s.Ssh("version").exit_code == 0);
}

TEST_CASE("setup is idempotent and a second daemon on one data dir is refused") {
  TestServer s;
  auto config = ms::test::ReadFile(s.data_dir() / "config.yaml");
  auto key = ms::test::ReadFile(s.data_dir() / "ssh_host_ed25519_key");
  auto again = ms::test::Run({ms::test::BinDir() + "/mothershipd", "setup", "--data-dir",
                              s.data_dir().string(), "--admin-key", s.admin_key().string() + ".pub",
                              "--ssh-port", "2999"});
  INFO(again.Both());
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("already registered") != std::string::npos);
  CHECK(ms::test::ReadFile(s.data_dir() / "config.yaml") == config);
  CHECK(ms::test::ReadFile(s.data_dir() / "ssh_host_ed25519_key") == key);
  CHECK(s.Ssh("keys:list --json").out.find("admin-2") == std::string::npos);

  auto second = ms::test::Run({ms::test::BinDir() + "/mothershipd", "--data-dir", s.data_dir().string()});
  CHECK(second.exit_code == 1);
  CHECK(second.err.find("already serving") != std::string::npos);

  auto bad = ms::test::Run({ms::test::BinDir() + "/mothershipd", "setup", "--data-dir",
                            (s.dir() / "other").string(), "--admin-key", "/nonexistent.pub"});
  CHECK(bad.exit_code == 1);
  CHECK(!std::filesystem::exists(s.dir() / "other"));
}

TEST_CASE("an authenticated connection that never runs a command is closed") {
  TestServer s({.configure = [](ms::Settings& settings) { settings.ssh_auth_timeout_seconds = 2; }});
  // ssh -N authenticates and then only waits; the server must end it.
  auto start = std::chrono::steady_clock::now();
  auto r = ms::test::Run({"timeout", "30", "ssh", "-N", "-p", std::to_string(s.port()), "-i", s.admin_key().string(),
                          "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=VERBOSE", "-o",
                          "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                          "git@127.0.0.1"});
  INFO(r.err);
  CHECK(r.exit_code == 255);  // closed by the server, not ended by `timeout` (124)
  CHECK(r.err.find("Authenticated to 127.0.0.1") != std::string::npos);
  CHECK(SecondsSince(start) >= 1.9);
  CHECK(s.Log().find("closing a connection that did not authenticate and run a command in 2 s") !=
        std::string::npos);
}
