// Who may connect and what each role may do, with the real ssh client.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "test/support/sockets.h"
#include "test/support/test_server.h"

using ms::test::Answered;
using ms::test::ConnectFrom;
using ms::test::Open;
using ms::test::TestServer;

TEST_CASE("an unregistered key is refused") {
  TestServer s;
  auto stranger = s.NewKey("stranger");
  auto r = s.SshAs(stranger, "apps:list");
  CHECK(r.exit_code == 255);
  CHECK(r.err.find("Permission denied") != std::string::npos);
}

TEST_CASE("passwords and keyboard-interactive are not offered") {
  TestServer s;
  auto r = ms::test::Run({"ssh", "-p", std::to_string(s.port()), "-o", "BatchMode=yes", "-o",
                          "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                          "PreferredAuthentications=password,keyboard-interactive",
                          "-o", "PubkeyAuthentication=no", "git@127.0.0.1", "apps:list"});
  CHECK(r.exit_code == 255);
  CHECK(r.err.find("Permission denied (publickey)") != std::string::npos);
}

TEST_CASE("a developer key may push and run app commands / not keys commands or another's apps") {
  TestServer s;
  auto dev = s.NewKey("dev");
  s.AddKey("dev", dev, "developer");
  CHECK(s.SshAs(dev, "apps:create devapp").exit_code == 0);
  CHECK(s.SshAs(dev, "config:set devapp A=1").exit_code == 0);
  auto repo = s.MakeRepo("src", 1);
  auto push = s.Git({"push", s.Url("devapp"), "main"}, repo, dev);
  INFO(push.Both());
  CHECK(push.exit_code == 0);
  CHECK(push.err.find("pushed by dev") != std::string::npos);

  auto other = s.NewKey("other");
  auto add = s.SshAs(dev, "keys:add other", ms::test::ReadFile(other.string() + ".pub"));
  CHECK(add.exit_code == 1);
  CHECK(add.err.find("needs an admin key") != std::string::npos);
  CHECK(s.SshAs(dev, "keys:list").exit_code == 1);
  CHECK(s.SshAs(dev, "keys:remove admin").exit_code == 1);
  REQUIRE(s.Ssh("apps:create adminapp").exit_code == 0);
  auto destroy = s.SshAs(dev, "apps:destroy adminapp --confirm adminapp");
  CHECK(destroy.exit_code == 1);
  CHECK(destroy.err == "error: app 'adminapp' does not exist (see apps:list)\n");
  CHECK(s.Ssh("apps:list").out.find("adminapp") != std::string::npos);
  // Its own app it may destroy: it owns it.
  CHECK(s.SshAs(dev, "apps:destroy devapp --confirm devapp").exit_code == 0);
  CHECK(s.Ssh("keys:list").out.find("other") == std::string::npos);
}

TEST_CASE("a removed key cannot open a new connection") {
  TestServer s;
  auto dev = s.NewKey("dev");
  s.AddKey("dev", dev, "developer");
  REQUIRE(s.SshAs(dev, "apps:list").exit_code == 0);
  REQUIRE(s.Ssh("keys:remove dev").exit_code == 0);
  auto r = s.SshAs(dev, "apps:list");
  CHECK(r.exit_code == 255);
  CHECK(r.err.find("Permission denied") != std::string::npos);
  auto last = s.Ssh("keys:remove admin");
  CHECK(last.exit_code == 1);
  CHECK(last.err.find("'admin' is the last admin") != std::string::npos);
}

TEST_CASE("exit statuses reach the client") {
  TestServer s;
  CHECK(s.Ssh("version").exit_code == 0);
  CHECK(s.Ssh("apps:info nosuchapp").exit_code == 1);
  CHECK(s.Ssh("apps:create").exit_code == 2);
  CHECK(s.Ssh("no-such-command").exit_code == 2);
}

namespace {

int CountOpen(const std::vector<int>& fds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (int fd : fds) REQUIRE(fd >= 0);
  for (int fd : fds) REQUIRE(Answered(fd, deadline));
  int open = 0;
  for (int fd : fds) open += Open(fd);
  return open;
}

}  // namespace

TEST_CASE("150 idle connections that never authenticate leave members room to push") {
  TestServer s;  // ssh_max_connections 100: at most 50 unauthenticated, 20 per address
  std::vector<int> flood;
  for (int i = 0; i < 150; ++i) flood.push_back(ConnectFrom("127.0.0." + std::to_string(2 + i / 10), s.port()));
  CHECK(CountOpen(flood) == 50);

  // While the flood sits there, a member pushes and runs commands.
  auto repo = s.MakeRepo("src", 1);
  auto push = s.Git({"push", s.Url("busy"), "main"}, repo);
  INFO(push.Both());
  CHECK(push.exit_code == 0);
  CHECK(s.Ssh("apps:list").out.find("busy") != std::string::npos);
  int still = 0;
  for (int fd : flood) still += Open(fd);
  CHECK(still >= 45);  // the member's connections ended a few of the flood's
  CHECK(still <= 50);
  for (int fd : flood) close(fd);

  // One address may hold 20 unauthenticated connections, not 21.
  std::vector<int> one;
  for (int i = 0; i < 21; ++i) one.push_back(ConnectFrom("127.0.1.2", s.port()));
  CHECK(CountOpen(one) == 20);
  for (int fd : one) close(fd);
}
