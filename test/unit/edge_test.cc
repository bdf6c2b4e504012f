// The edge's descriptor passing: a descriptor and its tag cross a unix socket.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "proxy/edge.h"

TEST_CASE("SendDescriptor and ReceiveDescriptor pass a socket with its tag", "[proxy]") {
  int link[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, link) == 0);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);

  char tag = 0;
  bool closed = false;
  CHECK(ms::proxy::ReceiveDescriptor(link[1], tag, closed) == -1);  // nothing yet
  CHECK_FALSE(closed);

  REQUIRE(ms::proxy::SendDescriptor(link[0], pipe_fds[1], 'm'));
  int got = ms::proxy::ReceiveDescriptor(link[1], tag, closed);
  REQUIRE(got >= 0);
  CHECK(tag == 'm');
  // The received descriptor is the same pipe: what goes in comes out.
  REQUIRE(::write(got, "x", 1) == 1);
  char c = 0;
  REQUIRE(::read(pipe_fds[0], &c, 1) == 1);
  CHECK(c == 'x');

  ::close(link[0]);
  CHECK(ms::proxy::ReceiveDescriptor(link[1], tag, closed) == -1);
  CHECK(closed);
  for (int fd : {link[1], pipe_fds[0], pipe_fds[1], got}) ::close(fd);
}

namespace {

using Clock = std::chrono::steady_clock;

// A descriptor from a worker's link within 5 s: -1 when none came or the link
// closed (closed says which).
int ReceiveWithin(int link, bool& closed) {
  auto deadline = Clock::now() + std::chrono::seconds(5);
  char tag = 0;
  while (Clock::now() < deadline) {
    int fd = ms::proxy::ReceiveDescriptor(link, tag, closed);
    if (fd >= 0 || closed) return fd;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return -1;
}

int ConnectUnix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// A client's connection to the edge; its local port names it.
int ConnectTcp(uint16_t port, uint16_t& local_port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  local_port = ntohs(addr.sin_port);
  return fd;
}

// The client port a received connection comes from.
uint16_t PeerPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  REQUIRE(::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("Edge: a draining worker gets every connection sent before it shut down its side, then the link closes - "
          "the next connections wait for the next worker",
          "[proxy]") {
  boost::asio::io_context io;
  const std::string path = fmt::format("/tmp/mothership-edge-test-{}.sock", ::getpid());
  ms::proxy::Edge edge(io, path);
  edge.Listen("127.0.0.1", 0, 'h');
  edge.Start();
  std::thread running([&] { io.run(); });
  std::vector<int> fds;

  int a = ConnectUnix(path);
  fds.push_back(a);
  uint16_t first = 0;
  fds.push_back(ConnectTcp(edge.port(0), first));
  bool closed = false;
  int got = ReceiveWithin(a, closed);
  REQUIRE(got >= 0);
  fds.push_back(got);
  CHECK(PeerPort(got) == first);

  // Worker A drains; a client connects at the same moment: it reaches A
  // before the link closes, or waits for B, never neither.
  REQUIRE(::shutdown(a, SHUT_WR) == 0);
  uint16_t racing = 0;
  fds.push_back(ConnectTcp(edge.port(0), racing));
  std::vector<uint16_t> to_a;
  for (;;) {
    got = ReceiveWithin(a, closed);
    if (got < 0) break;
    fds.push_back(got);
    to_a.push_back(PeerPort(got));
  }
  CHECK(closed);  // the edge closed the link

  // With no worker connected, a new client waits for the next one.
  uint16_t waiting = 0;
  fds.push_back(ConnectTcp(edge.port(0), waiting));
  int b = ConnectUnix(path);
  fds.push_back(b);
  std::vector<uint16_t> to_b;
  const size_t expected = to_a.empty() ? 2 : 1;
  while (to_b.size() < expected) {
    got = ReceiveWithin(b, closed);
    REQUIRE(got >= 0);
    fds.push_back(got);
    to_b.push_back(PeerPort(got));
  }
  std::vector<uint16_t> all = to_a;
  all.insert(all.end(), to_b.begin(), to_b.end());
  std::sort(all.begin(), all.end());
  std::vector<uint16_t> sent = {racing, waiting};
  std::sort(sent.begin(), sent.end());
  CHECK(all == sent);
  CHECK(std::find(to_b.begin(), to_b.end(), waiting) != to_b.end());

  io.stop();
  running.join();
  for (int fd : fds) ::close(fd);
  ::unlink(path.c_str());
}
