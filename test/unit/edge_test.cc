// The edge: a descriptor and its tag cross a unix socket; the edge hands each
// connection to the right worker as workers come and go.

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

  // A tag alone (the edge's word that https listens).
  REQUIRE(ms::proxy::SendTag(link[0], ms::proxy::kHttpsListening));
  CHECK(ms::proxy::ReceiveDescriptor(link[1], tag, closed) == ms::proxy::kTagOnly);
  CHECK(tag == ms::proxy::kHttpsListening);
  CHECK_FALSE(closed);

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

// An edge on a free port, run on its own thread for the test.
struct RunningEdge {
  explicit RunningEdge(std::chrono::milliseconds last_worker_takes_for = std::chrono::seconds(20), bool https = false)
      : path(fmt::format("/tmp/mothership-edge-test-{}.sock", ::getpid())), edge(io, path, last_worker_takes_for) {
    edge.Listen("127.0.0.1", 0, 'h');
    if (https) edge.Listen("127.0.0.1", 0, 's');
    edge.Start();
    running = std::thread([this] { io.run(); });
  }
  ~RunningEdge() {
    io.stop();
    running.join();
    for (int fd : fds) ::close(fd);
    ::unlink(path.c_str());
  }
  int Worker() { return Keep(ConnectUnix(path)); }
  // A client connects; returns its local port.
  uint16_t Client() {
    uint16_t port = 0;
    Keep(ConnectTcp(edge.port(0), port));
    return port;
  }
  // The client port of the next connection `worker` receives; 0 when none
  // comes within 5 s or the link closes (closed says which).
  uint16_t Next(int worker, bool& closed) {
    int fd = ReceiveWithin(worker, closed);
    return fd < 0 ? 0 : PeerPort(Keep(fd));
  }
  int Keep(int fd) {
    fds.push_back(fd);
    return fd;
  }

  boost::asio::io_context io;
  std::string path;
  ms::proxy::Edge edge;
  std::thread running;
  std::vector<int> fds;
};

}  // namespace

TEST_CASE("Edge: the newest worker takes new connections - an older one that drains gets none and its link closes",
          "[proxy]") {
  RunningEdge e;
  bool closed = false;
  int a = e.Worker();
  uint16_t first = e.Client();
  CHECK(e.Next(a, closed) == first);
  int b = e.Worker();
  // Once the edge has seen B (a client before that goes to A, and B waits
  // 5 s for nothing), connections go to B.
  uint16_t to_b = 0;
  for (int tries = 0; tries < 3 && to_b == 0; ++tries) {
    uint16_t client = e.Client();
    if (e.Next(b, closed) == client) to_b = client;
  }
  CHECK(to_b != 0);
  REQUIRE(::shutdown(a, SHUT_WR) == 0);  // A drains
  // A's link closes; whatever A got before is from before B connected.
  while (e.Next(a, closed) != 0) {
  }
  CHECK(closed);
  uint16_t next = e.Client();
  CHECK(e.Next(b, closed) == next);
}

TEST_CASE("Edge: the last worker goes on taking connections while it drains, until the next worker connects - "
          "then the next one takes them and the draining one's link closes",
          "[proxy]") {
  RunningEdge e;
  bool closed = false;
  int a = e.Worker();
  uint16_t first = e.Client();
  CHECK(e.Next(a, closed) == first);
  REQUIRE(::shutdown(a, SHUT_WR) == 0);  // Swarm stopped A before its replacement was ready
  uint16_t while_draining = e.Client();
  CHECK(e.Next(a, closed) == while_draining);
  CHECK_FALSE(closed);

  int b = e.Worker();
  // A client connecting as B does reaches one of them; A's link then closes.
  uint16_t racing = e.Client();
  std::vector<uint16_t> got;
  for (uint16_t port; (port = e.Next(a, closed)) != 0;) got.push_back(port);
  CHECK(closed);
  if (got.empty()) got.push_back(e.Next(b, closed));
  CHECK(got == std::vector<uint16_t>{racing});
  uint16_t after = e.Client();
  CHECK(e.Next(b, closed) == after);
}

TEST_CASE("Edge: the last worker draining stops taking connections after its time - the next ones wait for a worker",
          "[proxy]") {
  RunningEdge e(std::chrono::milliseconds(300));
  bool closed = false;
  int a = e.Worker();
  REQUIRE(::shutdown(a, SHUT_WR) == 0);
  // Its link closes once the time is up (5 s at most: Next's deadline).
  while (e.Next(a, closed) != 0) {
  }
  CHECK(closed);
  uint16_t waiting = e.Client();
  int b = e.Worker();
  CHECK(e.Next(b, closed) == waiting);
}

TEST_CASE("Edge: a worker that is gone gets no connection - the next ones wait for the next worker", "[proxy]") {
  RunningEdge e;
  bool closed = false;
  int a = e.Worker();
  uint16_t first = e.Client();
  CHECK(e.Next(a, closed) == first);
  ::close(a);  // crashed
  e.fds.erase(std::find(e.fds.begin(), e.fds.end(), a));
  uint16_t waiting = e.Client();
  int b = e.Worker();
  CHECK(e.Next(b, closed) == waiting);
}

TEST_CASE("Edge: a worker hears first that https listens, when it does - and nothing of it when it does not",
          "[proxy]") {
  auto first_tag = [](int worker) {
    char tag = 0;
    bool closed = false;
    for (auto deadline = Clock::now() + std::chrono::seconds(5); Clock::now() < deadline;) {
      int fd = ms::proxy::ReceiveDescriptor(worker, tag, closed);
      if (fd == ms::proxy::kTagOnly) return tag;
      if (fd >= 0) {
        ::close(fd);
        return '?';  // a connection came first
      }
      if (closed) return 'x';
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return '-';  // nothing
  };
  {
    RunningEdge edge(std::chrono::seconds(20), /*https=*/true);
    CHECK(first_tag(edge.Worker()) == ms::proxy::kHttpsListening);
  }
  {
    RunningEdge edge;
    int worker = edge.Worker();
    edge.Client();
    CHECK(first_tag(worker) == '?');  // the connection, with no word of https before it
  }
}
