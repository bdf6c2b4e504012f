// The proxy on every core (proxy/loop_group.h) with real Servers on loopback:
// connections go to the loops in turn, /metrics sums every loop, and the caps
// on client connections hold across loops. Also ClientCaps and
// Metrics::RenderAll alone.

#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/admin.h"
#include "proxy/client_caps.h"
#include "proxy/loop_group.h"
#include "proxy/metrics.h"
#include "test/support/loopback.h"

namespace {

using Clock = std::chrono::steady_clock;

// A task on loopback answering "ok" to every request, keep-alive, a thread per connection.
class OkTask {
 public:
  OkTask() : fd_(ms::test::ListenLoopback(port_)) {
    accepting_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        connections_.emplace_back([c] {
          std::string in;
          char buf[4096];
          for (;;) {
            ssize_t n = ::read(c, buf, sizeof buf);
            if (n <= 0) break;
            in.append(buf, static_cast<size_t>(n));
            for (size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
              in.erase(0, end + 4);
              const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
              if (::write(c, answer.data(), answer.size()) < 0) break;
            }
          }
          ::close(c);
        });
      }
    });
  }
  ~OkTask() {
    ::shutdown(fd_, SHUT_RDWR);
    accepting_.join();
    for (auto& t : connections_) t.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  uint16_t port_ = 0;
  int fd_;
  std::thread accepting_;
  std::vector<std::thread> connections_;
};

// Everything the peer sends until a whole response with its 3-byte body, it
// closes, or 5 s pass.
std::string ReadAnswer(int fd) {
  std::string text;
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    auto head = text.find("\r\n\r\n");
    if (head != std::string::npos) {
      auto length = text.find("Content-Length: ");
      if (length != std::string::npos && text.size() >= head + 4 + std::stoul(text.substr(length + 16))) break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

std::string Get(int fd, const std::string& host, const std::string& path = "/") {
  std::string request = fmt::format("GET {} HTTP/1.1\r\nHost: {}\r\n\r\n", path, host);
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) return "";
  return ReadAnswer(fd);
}

// Whether the peer closed the connection without a byte (within 2 s).
bool ClosedAtOnce(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 2000) <= 0) return false;
  char byte;
  return ::read(fd, &byte, 1) == 0;
}

// A proxy of `loops` loops routing app "ok" to task, running until destroyed.
struct Loops {
  Loops(size_t loops, const OkTask& task, size_t per_address = 1000,
        std::chrono::seconds idle_timeout = ms::proxy::ProxyConfig{}.idle_timeout) {
    ms::proxy::ProxyConfig config;
    config.idle_timeout = idle_timeout;
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    config.admin_port = 0;
    config.access_log = false;
    config.max_connections_per_address = per_address;
    group = std::make_unique<ms::proxy::LoopGroup>(loops, config);
    group->primary().Start();
    group->StartOthers(0);
    std::string error;
    auto routes = ms::proxy::RouteTable::Parse(
        fmt::format(R"({{"domain": "test", "apps": [{{"name": "ok", "upstream": "127.0.0.1:{}"}}]}})", task.port()),
        error);
    REQUIRE(routes);
    group->SetRoutes(*routes);
    running = std::thread([this] { group->Run(); });
  }
  ~Loops() {
    group->primary_io().stop();
    running.join();
  }
  uint16_t port() { return group->primary().port(); }
  std::unique_ptr<ms::proxy::LoopGroup> group;
  std::thread running;
};

}  // namespace

TEST_CASE("ClientCaps: a cap per address and one in all - closing gives the place back", "[proxy]") {
  ms::proxy::ClientCaps caps(3, 2);
  CHECK(caps.Open("10.0.0.1"));
  CHECK(caps.Open("10.0.0.1"));
  CHECK_FALSE(caps.Open("10.0.0.1"));  // its share
  CHECK(caps.Open("10.0.0.2"));
  CHECK_FALSE(caps.Open("10.0.0.3"));  // 3 in all
  CHECK(caps.open() == 3);
  caps.Close("10.0.0.1");
  CHECK(caps.Open("10.0.0.1"));
  ms::proxy::ClientCaps uncapped(10, 0);
  for (int i = 0; i < 10; ++i) CHECK(uncapped.Open("10.0.0.1"));
  CHECK_FALSE(uncapped.Open("10.0.0.1"));
}

TEST_CASE("Metrics::RenderAll sums the loops' requests, connections and handshakes", "[proxy]") {
  ms::proxy::Metrics a, b;
  a.Request("shop", 200, 0.002);
  b.Request("shop", 200, 0.002);
  b.Request("shop", 503, 0.5);
  b.UpstreamError("shop");
  a.ConnectionOpened();
  b.ConnectionOpened();
  b.ConnectionOpened();
  b.ConnectionClosed();
  a.TlsHandshake(true);
  b.TlsHandshake(false);
  const ms::proxy::Metrics* all[] = {&a, &b};
  std::string text = ms::proxy::Metrics::RenderAll(all);
  CHECK(text.find("mothership_proxy_requests_total{app=\"shop\",class=\"2xx\"} 2\n") != std::string::npos);
  CHECK(text.find("mothership_proxy_requests_total{app=\"shop\",class=\"5xx\"} 1\n") != std::string::npos);
  CHECK(text.find("mothership_proxy_request_duration_seconds_count{app=\"shop\"} 3\n") != std::string::npos);
  CHECK(text.find("mothership_proxy_upstream_errors_total{app=\"shop\"} 1\n") != std::string::npos);
  CHECK(text.find("mothership_proxy_open_connections 2\n") != std::string::npos);
  CHECK(text.find("mothership_proxy_connections_total 3\n") != std::string::npos);
  CHECK(text.find("mothership_proxy_tls_handshakes_total{result=\"ok\"} 1\n") != std::string::npos);
  CHECK(text.find("mothership_proxy_tls_handshakes_total{result=\"failed\"} 1\n") != std::string::npos);
}

TEST_CASE("LoopGroup: connections go to the loops in turn - /metrics counts every loop's", "[proxy]") {
  OkTask task;
  Loops loops(2, task);
  for (int i = 0; i < 4; ++i) {
    int client = ms::test::ConnectLoopback(loops.port());
    auto answer = Get(client, "ok.test");
    INFO(answer);
    CHECK(answer.starts_with("HTTP/1.1 200 "));
    CHECK(answer.ends_with("\r\n\r\nok\n"));
    ::close(client);
  }
  // Each loop served two of the four.
  auto count_of = [](const std::string& text) {
    const std::string key = "mothership_proxy_requests_total{app=\"ok\",class=\"2xx\"} ";
    auto at = text.find(key);
    return at == std::string::npos ? 0 : std::stoi(text.substr(at + key.size()));
  };
  // (A loop counts a request once its answer is sent: polled, with a deadline.)
  auto counts = [&] {
    return std::pair{count_of(loops.group->loop(0).metrics().Render()), count_of(loops.group->loop(1).metrics().Render())};
  };
  for (auto until = Clock::now() + std::chrono::seconds(5); counts() != std::pair{2, 2} && Clock::now() < until;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(counts() == std::pair{2, 2});
  // /metrics (its connection goes to a loop too) sums both.
  int admin = ms::test::ConnectLoopback(loops.group->primary().admin_port());
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::write(admin, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string metrics;
  char buf[65536];
  for (ssize_t n; (n = ::read(admin, buf, sizeof buf)) > 0;) metrics.append(buf, static_cast<size_t>(n));
  ::close(admin);
  CHECK(count_of(metrics) == 4);
}

TEST_CASE("LoopGroup: a client's cap on connections holds across loops", "[proxy]") {
  OkTask task;
  Loops loops(2, task, 2);
  // Two kept connections, one on each loop, both served.
  int first = ms::test::ConnectLoopback(loops.port());
  int second = ms::test::ConnectLoopback(loops.port());
  CHECK(Get(first, "ok.test").starts_with("HTTP/1.1 200 "));
  CHECK(Get(second, "ok.test").starts_with("HTTP/1.1 200 "));
  // The third goes to loop 0, which holds only one of them: closed at once all the same.
  int third = ms::test::ConnectLoopback(loops.port());
  CHECK(ClosedAtOnce(third));
  ::close(third);
  // One closes: the next connection is served.
  ::close(first);
  bool served = false;
  for (auto until = Clock::now() + std::chrono::seconds(5); !served && Clock::now() < until;) {
    int next = ms::test::ConnectLoopback(loops.port());
    served = Get(next, "ok.test").starts_with("HTTP/1.1 200 ");
    ::close(next);
  }
  CHECK(served);
  ::close(second);
}

TEST_CASE("LoopGroup: 320 connections at once on two loops - every request answered", "[proxy]") {
  // Past 128 open connections a loop's idle connections give their buffers
  // back to the pool between requests: each loop has its own pool (and
  // request ids); one pool shared without a lock crashed the proxy under load.
  OkTask task;
  Loops loops(2, task);
  std::atomic<int> answered = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&] {
      std::vector<int> fds;
      for (int i = 0; i < 20; ++i) fds.push_back(ms::test::ConnectLoopback(loops.port()));
      for (int round = 0; round < 20; ++round) {
        for (int fd : fds) {
          if (Get(fd, "ok.test").ends_with("\r\n\r\nok\n")) ++answered;
        }
      }
      for (int fd : fds) ::close(fd);
    });
  }
  for (auto& t : clients) t.join();
  CHECK(answered == 16 * 20 * 20);
}

TEST_CASE("LoopGroup: past 128 open connections idle ones are parked - they answer again, time out, and close after a drain's answer", "[proxy]") {
  OkTask task;
  constexpr int kClients = 200;
  auto open_and_ask = [](Loops& loops, std::vector<int>& fds) {
    int answered = 0;
    for (int i = 0; i < kClients; ++i) fds.push_back(ms::test::ConnectLoopback(loops.port()));
    for (int round = 0; round < 2; ++round) {  // the second round wakes the parked ones
      for (int fd : fds) answered += Get(fd, "ok.test").ends_with("\r\n\r\nok\n");
    }
    return answered;
  };
  auto all_closed_by_proxy = [](const std::vector<int>& fds, std::chrono::seconds within) {
    auto deadline = Clock::now() + within;
    for (int fd : fds) {
      bool closed = false;
      while (!closed && Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char byte;
        closed = ::read(fd, &byte, 1) == 0;
        if (!closed) return false;  // bytes nobody asked for
      }
      if (!closed) return false;
    }
    return true;
  };
  auto open_count = [](Loops& loops) { return loops.group->primary().metrics().open_connections(); };
  auto poll_for = [](auto fn) {
    for (auto until = Clock::now() + std::chrono::seconds(5); Clock::now() < until;) {
      if (fn()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return fn();
  };

  SECTION("the idle timeout closes them") {
    Loops loops(1, task, 1000, std::chrono::seconds(1));
    std::vector<int> fds;
    CHECK(open_and_ask(loops, fds) == 2 * kClients);
    CHECK(open_count(loops) == kClients);
    CHECK(all_closed_by_proxy(fds, std::chrono::seconds(5)));
    CHECK(poll_for([&] { return open_count(loops) == 0; }));
    for (int fd : fds) ::close(fd);
  }
  SECTION("in a drain each answers its next request with Connection: close, then closes") {
    Loops loops(1, task);
    std::vector<int> fds;
    CHECK(open_and_ask(loops, fds) == 2 * kClients);
    boost::asio::post(loops.group->primary_io(), [&] { loops.group->Drain(); });
    int closing = 0;
    for (int fd : fds) {
      std::string answer = Get(fd, "ok.test");
      closing += answer.find("\r\nConnection: close\r\n") != std::string::npos && answer.ends_with("\r\n\r\nok\n");
    }
    CHECK(closing == kClients);
    CHECK(all_closed_by_proxy(fds, std::chrono::seconds(5)));
    CHECK(poll_for([&] { return open_count(loops) == 0; }));
    for (int fd : fds) ::close(fd);
  }
}
