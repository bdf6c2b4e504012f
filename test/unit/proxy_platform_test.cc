// The platform's host through the proxy, with a real Server on loopback and
// the daemon's API played by a unix socket backend: requests for the host
// reach the socket with the proxy's X-Forwarded-* (a GET, a POST whose body
// streams, on one kept connection), a text/event-stream answer reaches the
// client as it comes, a missing or refusing socket is answered 502 and the
// proxy goes on, and other hosts still go to the apps' tasks.

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proxy/server.h"
#include "test/support/loopback.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kWait = std::chrono::seconds(5);

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads from fd into `in` until done(in) (true), or the peer closes, or kWait
// passes (false).
bool ReadUntil(int fd, std::string& in, const std::function<bool(const std::string&)>& done) {
  const auto deadline = Clock::now() + kWait;
  while (!done(in)) {
    if (Clock::now() > deadline) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[16384];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    in.append(buf, static_cast<size_t>(n));
  }
  return true;
}

bool ReadUntil(int fd, std::string& in, std::string_view marker) {
  return ReadUntil(fd, in, [marker](const std::string& s) { return s.find(marker) != std::string::npos; });
}

// The value of header `name` (as written) in a head, or "".
std::string HeaderOf(const std::string& head, const std::string& name) {
  auto at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos || at > head.find("\r\n\r\n")) return "";
  at += name.size() + 4;
  return head.substr(at, head.find("\r\n", at) - at);
}

// Reads one whole message (its head and a Content-Length body) from the front
// of `in`, reading fd for more; "" when none came within kWait.
std::string TakeMessage(int fd, std::string& in) {
  if (!ReadUntil(fd, in, "\r\n\r\n")) return "";
  const size_t head = in.find("\r\n\r\n") + 4;
  const std::string length = HeaderOf(in.substr(0, head), "Content-Length");
  const size_t size = head + (length.empty() ? 0 : std::stoul(length));
  if (!ReadUntil(fd, in, [size](const std::string& s) { return s.size() >= size; })) return "";
  std::string message = in.substr(0, size);
  in.erase(0, size);
  return message;
}

std::string Chunk(std::string_view data) { return fmt::format("{:x}\r\n{}\r\n", data.size(), data); }

// The daemon's API (or an app's task) as the tests play it, on a listening
// socket (unix or TCP), each connection on a thread of its own: GET /events
// answers a text/event-stream in two chunks, the second once Release() is
// called; anything else is answered with what it received (head and body) as
// the body, and "X-Served-By: name". Connections are shut down and their
// threads joined when it is destroyed.
class Backend {
 public:
  Backend(int listening, std::string name) : fd_(listening), name_(std::move(name)) {
    accepting_ = std::thread([this] {
      for (int c; (c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) {
        std::lock_guard lock(mu_);
        connections_.push_back(c);
        threads_.emplace_back([this, c] { Serve(c); });
      }
    });
  }
  ~Backend() {
    ::shutdown(fd_, SHUT_RDWR);
    accepting_.join();
    ::close(fd_);
    std::lock_guard lock(mu_);
    for (int c : connections_) ::shutdown(c, SHUT_RDWR);
    for (auto& t : threads_) t.join();
    for (int c : connections_) ::close(c);
  }
  void Release() { release_.set_value(); }
  int accepted() {
    std::lock_guard lock(mu_);
    return static_cast<int>(connections_.size());
  }

 private:
  void Serve(int fd) {
    std::string in;
    while (true) {
      std::string request = TakeMessage(fd, in);
      if (request.empty()) return;
      if (request.starts_with("GET /events ")) {
        const std::string head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        if (!WriteAll(fd, head + Chunk(": heartbeat\n\n"))) return;
        if (released_.wait_for(kWait) != std::future_status::ready) return;
        if (!WriteAll(fd, Chunk("data: done\n\n") + "0\r\n\r\n")) return;
        continue;
      }
      std::string answer = fmt::format("HTTP/1.1 200 OK\r\nX-Served-By: {}\r\nContent-Length: {}\r\n\r\n{}",
                                       name_, request.size(), request);
      if (!WriteAll(fd, answer)) return;
    }
  }

  int fd_;
  std::string name_;
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  std::thread accepting_;
  std::mutex mu_;
  std::vector<int> connections_;
  std::vector<std::thread> threads_;
};

// A proxy on a free port of loopback with one app, "shop" (shop.test), and the
// platform's host, mothership.test, going to `socket`.
struct Proxy {
  Proxy(uint16_t shop_port, const std::string& socket) {
    ms::proxy::ProxyConfig config;
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    config.admin = false;
    config.access_log = false;
    server = std::make_unique<ms::proxy::Server>(io, config);
    server->Start();
    std::string error;
    auto routes = ms::proxy::RouteTable::Parse(
        fmt::format(R"({{"domain": "test", "apps": [{{"name": "shop", "upstream": "127.0.0.1:{}"}}],
                        "platform": {{"host": "mothership.test", "socket": "{}"}}}})",
                    shop_port, socket),
        error);
    INFO(error);
    REQUIRE(routes);
    server->SetRoutes(std::move(*routes));
    thread = std::thread([this] { io.run(); });
  }
  ~Proxy() {
    io.stop();
    thread.join();
  }
  boost::asio::io_context io;
  std::unique_ptr<ms::proxy::Server> server;
  std::thread thread;
};

// A client connection to the proxy.
struct Client {
  explicit Client(uint16_t port) : fd(ms::test::ConnectLoopback(port)) {}
  ~Client() { ::close(fd); }
  // Sends request, returns the whole response ("" when none came).
  std::string Ask(const std::string& request) {
    REQUIRE(WriteAll(fd, request));
    return TakeMessage(fd, in);
  }
  int fd;
  std::string in;
};

// A directory of its own for a test's socket, removed after.
struct SocketDir {
  explicit SocketDir(const std::string& name)
      : path(fs::temp_directory_path() / fmt::format("ms-{}-{}", name, ::getpid())) {
    fs::create_directories(path);
  }
  ~SocketDir() { fs::remove_all(path); }
  std::string Socket() const { return (path / "api.sock").string(); }
  fs::path path;
};

}  // namespace

TEST_CASE("proxy: the platform's host goes to the daemon's unix socket - a GET and a POST with a body on one kept "
          "connection, X-Forwarded-* set by the proxy - other hosts still go to apps",
          "[proxy]") {
  SocketDir dir("platform");
  Backend api(ms::test::ListenUnix(dir.Socket()), "api");
  uint16_t shop_port = 0;
  Backend shop(ms::test::ListenLoopback(shop_port), "shop");
  Proxy proxy(shop_port, dir.Socket());
  Client client(proxy.server->port());

  std::string get = client.Ask(
      "GET /api/v1/apps HTTP/1.1\r\nHost: Mothership.test:8080\r\nX-Forwarded-For: 10.6.6.6\r\n"
      "X-Forwarded-Proto: https\r\n\r\n");
  INFO(get);
  REQUIRE(get.starts_with("HTTP/1.1 200 "));
  CHECK(HeaderOf(get, "X-Served-By") == "api");
  const std::string received = get.substr(get.find("\r\n\r\n") + 4);
  CHECK(received.starts_with("GET /api/v1/apps HTTP/1.1\r\nHost: Mothership.test:8080\r\n"));
  CHECK(HeaderOf(received, "X-Forwarded-For") == "127.0.0.1");
  CHECK(HeaderOf(received, "X-Forwarded-Proto") == "http");
  CHECK(HeaderOf(received, "X-Forwarded-Port") == std::to_string(proxy.server->port()));
  CHECK(received.find("10.6.6.6") == std::string::npos);
  CHECK_FALSE(HeaderOf(received, "X-Request-Id").empty());

  // A body larger than the proxy's buffers, streamed through.
  std::string body;
  for (int i = 0; i < 200000; ++i) body += static_cast<char>('a' + i % 26);
  std::string post = client.Ask(fmt::format(
      "POST /api/v1/commands HTTP/1.1\r\nHost: mothership.test\r\nContent-Type: application/json\r\n"
      "Content-Length: {}\r\n\r\n{}",
      body.size(), body));
  REQUIRE(post.starts_with("HTTP/1.1 200 "));
  CHECK(HeaderOf(post, "X-Served-By") == "api");
  const std::string posted = post.substr(post.find("\r\n\r\n") + 4);
  CHECK(posted.starts_with("POST /api/v1/commands HTTP/1.1\r\n"));
  CHECK(HeaderOf(posted, "X-Forwarded-For") == "127.0.0.1");
  CHECK(posted.ends_with("\r\n\r\n" + body));
  CHECK(api.accepted() == 1);  // the socket's connection kept between the two

  // Other hosts, on the same client connection.
  std::string app = client.Ask("GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n");
  CHECK(app.starts_with("HTTP/1.1 200 "));
  CHECK(HeaderOf(app, "X-Served-By") == "shop");
  CHECK(client.Ask("GET / HTTP/1.1\r\nHost: nope.test\r\n\r\n").starts_with("HTTP/1.1 404 "));
  CHECK(client.Ask("GET / HTTP/1.1\r\nHost: www.mothership.test\r\n\r\n").starts_with("HTTP/1.1 404 "));
  CHECK(api.accepted() == 1);
}

TEST_CASE("proxy: a text/event-stream from the daemon's socket reaches the client as it comes - the connection is "
          "kept after",
          "[proxy]") {
  SocketDir dir("platform-stream");
  Backend api(ms::test::ListenUnix(dir.Socket()), "api");
  Proxy proxy(1, dir.Socket());
  Client client(proxy.server->port());
  REQUIRE(WriteAll(client.fd, "GET /events HTTP/1.1\r\nHost: mothership.test\r\nAccept: text/event-stream\r\n\r\n"));
  // The first chunk arrives while the daemon holds back the rest.
  std::string& in = client.in;
  REQUIRE(ReadUntil(client.fd, in, Chunk(": heartbeat\n\n")));
  INFO(in);
  CHECK(in.starts_with("HTTP/1.1 200 "));
  CHECK(HeaderOf(in, "Content-Type") == "text/event-stream");
  CHECK(HeaderOf(in, "Transfer-Encoding") == "chunked");
  CHECK(in.find("data: done") == std::string::npos);
  api.Release();
  REQUIRE(ReadUntil(client.fd, in, Chunk("data: done\n\n") + "0\r\n\r\n"));
  CHECK(in.ends_with("0\r\n\r\n"));

  in.clear();
  std::string next = client.Ask("GET /api/v1/whoami HTTP/1.1\r\nHost: mothership.test\r\n\r\n");
  CHECK(next.starts_with("HTTP/1.1 200 "));
  CHECK(HeaderOf(next, "X-Served-By") == "api");
}

TEST_CASE("proxy: the daemon's socket missing or refusing is answered 502 - the proxy goes on, and serves it once "
          "it listens",
          "[proxy]") {
  SocketDir dir("platform-down");
  uint16_t shop_port = 0;
  Backend shop(ms::test::ListenLoopback(shop_port), "shop");
  Proxy proxy(shop_port, dir.Socket());
  const std::string request = "GET /api/v1/apps HTTP/1.1\r\nHost: mothership.test\r\n\r\n";
  {
    Client client(proxy.server->port());
    std::string missing = client.Ask(request);
    INFO(missing);
    CHECK(missing.starts_with("HTTP/1.1 502 "));
    CHECK_FALSE(HeaderOf(missing, "X-Request-Id").empty());  // the proxy's own page
    CHECK(client.Ask("GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n").starts_with("HTTP/1.1 200 "));
  }
  {
    // A socket file that nobody listens on: connections are refused.
    int bound = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    dir.Socket().copy(addr.sun_path, sizeof addr.sun_path - 1);
    REQUIRE(::bind(bound, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    Client client(proxy.server->port());
    std::string refused = client.Ask(request);
    INFO(refused);
    CHECK(refused.starts_with("HTTP/1.1 502 "));
    ::close(bound);
  }
  Backend api(ms::test::ListenUnix(dir.Socket()), "api");
  Client client(proxy.server->port());
  std::string served = client.Ask(request);
  CHECK(served.starts_with("HTTP/1.1 200 "));
  CHECK(HeaderOf(served, "X-Served-By") == "api");
}
