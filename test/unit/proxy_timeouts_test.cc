// The proxy's deadlines for a task, with a real Server on loopback: a task that
// takes the connection and never answers is answered 504 once
// response_timeout has passed, and the client's connection stays usable.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "proxy/server.h"
#include "test/support/loopback.h"

namespace {

using Clock = std::chrono::steady_clock;

// A TCP listener on loopback that accepts (the kernel does) and never answers.
struct SilentTask {
  SilentTask() : fd(ms::test::ListenLoopback(port)) {}
  ~SilentTask() { ::close(fd); }
  uint16_t port = 0;
  int fd;
};

// Reads until the text holds a whole response head (or the peer closes, or 5 s pass).
std::string ReadHead(int fd) {
  std::string text;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (text.find("\r\n\r\n") == std::string::npos && Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

TEST_CASE("proxy: a task that never answers gets the client a 504 after response_timeout - the client's connection "
          "stays open for its next request",
          "[proxy]") {
  SilentTask task;
  ms::proxy::ProxyConfig config;
  config.listen_host = "127.0.0.1";
  config.listen_port = 0;
  config.admin = false;
  config.access_log = false;
  config.response_timeout = std::chrono::seconds(1);
  boost::asio::io_context io;
  ms::proxy::Server server(io, config);
  server.Start();
  std::string error;
  auto routes = ms::proxy::RouteTable::Parse(
      fmt::format(R"({{"domain": "test", "apps": [{{"name": "slow", "upstream": "127.0.0.1:{}"}}]}})", task.port),
      error);
  REQUIRE(routes);
  server.SetRoutes(std::move(*routes));
  std::thread running([&] { io.run(); });

  int client = ms::test::ConnectLoopback(server.port());
  const std::string request = "GET / HTTP/1.1\r\nHost: slow.test\r\n\r\n";
  for (int i = 0; i < 2; ++i) {
    INFO("request " << i + 1);
    auto sent_at = Clock::now();
    REQUIRE(::write(client, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
    std::string head = ReadHead(client);
    auto took = Clock::now() - sent_at;
    INFO(head);
    CHECK(head.starts_with("HTTP/1.1 504 "));
    // response_timeout, give or take the sweep's quarter second (connection.h).
    CHECK(took >= std::chrono::milliseconds(750));
    CHECK(took < std::chrono::milliseconds(2500));
    // The 504 has a body: read it away before the next request.
    auto length = head.find("Content-Length: ");
    REQUIRE(length != std::string::npos);
    size_t body = std::stoul(head.substr(length + 16));
    std::string rest = head.substr(head.find("\r\n\r\n") + 4);
    while (rest.size() < body) {
      char buf[1024];
      ssize_t n = ::read(client, buf, sizeof buf);
      REQUIRE(n > 0);
      rest.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(client);
  io.stop();
  running.join();
}
