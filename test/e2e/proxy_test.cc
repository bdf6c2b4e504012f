// The proxy end to end: a pushed app answers at http://APP.localhost:PORT/
// through the Swarm service mothership-proxy and its published port, with the
// real curl; custom and wildcard domains; 404 for unknown hosts; 503 for a
// stopped app; malformed and smuggling requests get 400 while the proxy keeps
// serving; /metrics counts requests.

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/process.hpp>

#include "server/config/settings.h"
#include "test/support/apps.h"
#include "test/support/malformed_requests.h"
#include "test/support/run.h"
#include "test/support/sockets.h"
#include "test/support/test_server.h"

using ms::Settings;
using ms::test::BuildServer;
using ms::test::Push;
using ms::test::Run;
using ms::test::SampleRepo;
using ms::test::TestServer;
using ms::test::Unique;

namespace {

struct Answer {
  int status = 0;
  std::string headers;
  std::string body;
};

// curl -i http://127.0.0.1:PORT/PATH with a Host header.
Answer Curl(int port, const std::string& host, const std::string& path = "/") {
  auto r = Run({"curl", "-s", "-i", "--max-time", "10", "-H", "Host: " + host,
                fmt::format("http://127.0.0.1:{}{}", port, path)});
  Answer a;
  auto split = r.out.find("\r\n\r\n");
  a.headers = r.out.substr(0, split);
  a.body = split == std::string::npos ? "" : r.out.substr(split + 4);
  if (a.headers.size() > 12) a.status = std::atoi(a.headers.c_str() + 9);
  return a;
}

// Sends raw bytes on a new connection; returns all the proxy answered until it
// closed the connection (or 5 s passed).
// Sends `bytes` on a new connection and reads the answer until the proxy closes
// the connection (`*closed` true) or 5 s pass with nothing more.
std::string SendRaw(int port, const std::string& bytes, bool* closed = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "";
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  if (closed) *closed = n == 0;
  ::close(fd);
  return out;
}


// The resident and peak resident memory (kB) of the proxy's process; with
// `reset_peak`, the peak starts again from the resident memory now.
std::pair<long, long> ProxyMemory(TestServer& s, bool reset_peak = false) {
  auto id = Run({"docker", "ps", "-q", "--filter", "label=com.docker.swarm.service.name=" + s.proxy_service()});
  std::string container = id.out.substr(0, id.out.find('\n'));
  auto pid = Run({"docker", "inspect", "-f", "{{.State.Pid}}", container});
  const std::string proc = "/proc/" + pid.out.substr(0, pid.out.find('\n'));
  if (reset_peak) ms::test::WriteFile(proc + "/clear_refs", "5");
  std::string status = ms::test::ReadFile(proc + "/status");
  auto field = [&](const std::string& name) {
    auto at = status.find(name + ":");
    return at == std::string::npos ? -1L : std::atol(status.c_str() + at + name.size() + 1);
  };
  return {field("VmRSS"), field("VmHWM")};
}

// One WebSocket client: the handshake, then messages out and back.
class WebSocket {
 public:
  WebSocket(int port, const std::string& host) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    std::string hello = "GET /chat HTTP/1.1\r\nHost: " + host +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n";
    Send(hello);
    while (buffer_.find("\r\n\r\n") == std::string::npos && Read()) {
    }
    auto end = buffer_.find("\r\n\r\n");
    if (end == std::string::npos) return;
    head_ = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
  }
  ~WebSocket() { ::close(fd_); }
  const std::string& head() const { return head_; }

  // Sends a masked text frame; returns the text of the frame that comes back.
  std::string Echo(const std::string& text) {
    std::string f;
    f += static_cast<char>(0x81);
    f += static_cast<char>(0x80 | text.size());  // (short messages)
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    f.append(reinterpret_cast<const char*>(mask), 4);
    for (size_t i = 0; i < text.size(); ++i) f += static_cast<char>(text[i] ^ mask[i % 4]);
    Send(f);
    while (buffer_.size() < 2 || buffer_.size() < 2 + static_cast<size_t>(buffer_[1] & 0x7f)) {
      if (!Read()) return "";
    }
    size_t len = static_cast<size_t>(buffer_[1] & 0x7f);
    std::string payload = buffer_.substr(2, len);
    buffer_.erase(0, 2 + len);
    return payload;
  }

 private:
  void Send(const std::string& bytes) { (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  bool Read() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buffer_;
  std::string head_;
};

}  // namespace

TEST_CASE("proxy: a pushed app answers at APP.localhost - custom and wildcard domains - 404 - 503 - metrics") {
  TestServer s = BuildServer();
  const std::string app = Unique("web");
  std::string pushed = Push(s, SampleRepo(s, "hello-node"), app);
  CHECK(pushed.find(fmt::format("http://{}.localhost:{}/", app, s.http_port())) != std::string::npos);

  auto home = Curl(s.http_port(), app + ".localhost");
  CHECK(home.status == 200);
  CHECK(home.body.find("Hello from Mothership!") != std::string::npos);

  // Custom domains, exact and wildcard, reach the proxy within a second.
  REQUIRE(s.Ssh(fmt::format("domains:add {} www.shop.test", app)).exit_code == 0);
  REQUIRE(s.Ssh(fmt::format("domains:add {} *.wild.test", app)).exit_code == 0);
  CHECK(s.Ssh("domains " + app).out.find("www.shop.test") != std::string::npos);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Curl(s.http_port(), "www.shop.test").status != 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(Curl(s.http_port(), "www.shop.test").body.find("Hello from Mothership!") != std::string::npos);
  CHECK(Curl(s.http_port(), "a.b.wild.test").status == 200);
  // Another app cannot take a domain in use, its own again is said so; bad
  // names are refused; the domain still routes to its app.
  const std::string other = Unique("other");
  REQUIRE(s.Ssh("apps:create " + other).exit_code == 0);
  auto taken = s.Ssh(fmt::format("domains:add {} www.shop.test", other));
  CHECK(taken.exit_code != 0);
  CHECK(taken.err.find("www.shop.test is not available") != std::string::npos);
  CHECK(s.Ssh("domains " + other).out.find("www.shop.test") == std::string::npos);
  auto again = s.Ssh(fmt::format("domains:add {} www.shop.test", app));
  CHECK(again.exit_code != 0);
  CHECK(again.err.find("www.shop.test is a domain of " + app + " already") != std::string::npos);
  auto bad_name = s.Ssh(fmt::format("domains:add {} 'bad_name!'", app));
  CHECK(bad_name.exit_code == 2);
  CHECK(bad_name.err.find("bad_name!") != std::string::npos);
  CHECK(Curl(s.http_port(), "www.shop.test").body.find("Hello from Mothership!") != std::string::npos);
  REQUIRE(s.Ssh(fmt::format("domains:remove {} www.shop.test", app)).exit_code == 0);
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Curl(s.http_port(), "www.shop.test").status != 404 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(Curl(s.http_port(), "www.shop.test").status == 404);

  // An unknown host: 404 that names nothing inside.
  auto unknown = Curl(s.http_port(), "nothing-here.localhost");
  CHECK(unknown.status == 404);
  CHECK(unknown.body.find("tasks.") == std::string::npos);
  CHECK(unknown.body.find("5000") == std::string::npos);
  CHECK(unknown.headers.find("X-Request-Id") != std::string::npos);

  // The headers the app sees.
  auto echo = Run({"curl", "-s", "-H", "Host: " + app + ".localhost", "-H", "X-Request-Id: test-id-1",
                   fmt::format("http://127.0.0.1:{}/headers", s.http_port())});
  CHECK(echo.out.find("\"x-request-id\":\"test-id-1\"") != std::string::npos);
  CHECK(echo.out.find("\"x-forwarded-proto\":\"http\"") != std::string::npos);
  CHECK(echo.out.find("\"x-forwarded-for\"") != std::string::npos);

  // A stopped app: 503 with Retry-After; started again: 200.
  // The readiness probe the daemon asks before it says an app is released,
  // stopped or started answers the same.
  const std::string probe = "mothership-probe.invalid";
  CHECK(Curl(s.http_port(), probe, "/routable/" + app).status == 200);
  CHECK(Curl(s.http_port(), probe, "/routable/nosuchapp").status == 404);
  CHECK(Curl(s.http_port(), probe, "/").status == 404);
  REQUIRE(s.Ssh("ps:stop " + app).exit_code == 0);
  auto stopped = Curl(s.http_port(), app + ".localhost");
  CHECK(stopped.status == 503);
  CHECK(stopped.headers.find("Retry-After:") != std::string::npos);
  CHECK(Curl(s.http_port(), probe, "/routable/" + app).status == 503);
  REQUIRE(s.Ssh("ps:start " + app).exit_code == 0);
  CHECK(Curl(s.http_port(), app + ".localhost").status == 200);

  // Malformed and smuggling requests: 400 and a closed connection each; the
  // proxy keeps serving.
  for (auto bad : ms::test::MalformedRequests()) {
    INFO(bad.name);
    auto at = bad.bytes.find("app.localhost");
    if (at != std::string::npos) bad.bytes.replace(at, 13, app + ".localhost");
    bool closed = false;
    std::string answer = SendRaw(s.http_port(), bad.bytes, &closed);
    CHECK(answer.starts_with("HTTP/1.1 400 "));
    CHECK(closed);
    CHECK(answer.find("HTTP/1.1", 1) == std::string::npos);  // one answer: nothing smuggled behind it
    CHECK(answer.find("Hello from Mothership!") == std::string::npos);
  }
  CHECK(Curl(s.http_port(), app + ".localhost").status == 200);

  // With the daemon down the proxy keeps serving what it knows, and a proxy
  // restarted meanwhile reads its routes again.
  s.Stop();
  CHECK(Curl(s.http_port(), app + ".localhost").status == 200);
  {
    REQUIRE(Run({"docker", "service", "update", "-q", "--force", s.proxy_service()}).exit_code == 0);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (Curl(s.http_port(), app + ".localhost").status != 200 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    CHECK(Curl(s.http_port(), app + ".localhost").status == 200);
  }
  s.Start();

  // Prometheus metrics on the admin port.
  auto metrics = Run({"curl", "-s", fmt::format("http://127.0.0.1:{}/metrics", s.metrics_port())});
  CHECK(metrics.out.find(fmt::format("mothership_proxy_requests_total{{app=\"{}\",class=\"2xx\"}}", app)) !=
        std::string::npos);
  CHECK(metrics.out.find("mothership_proxy_request_duration_seconds_bucket") != std::string::npos);
}

TEST_CASE("proxy: floods - one address over its cap is refused - slow heads and slow bodies are cut - others are served") {
  TestServer s = BuildServer([](Settings& settings) {
    settings.proxy_max_connections_per_address = 20;
    settings.proxy_header_timeout_seconds = 2;
  });
  const std::string app = Unique("flood");
  Push(s, SampleRepo(s, "hello-node"), app);
  const std::string get = "GET / HTTP/1.1\r\nHost: " + app + ".localhost\r\n\r\n";
  auto served_from = [&](const std::string& from) {
    auto r = Run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--interface", from,
                  "-H", "Host: " + app + ".localhost", fmt::format("http://127.0.0.1:{}/", s.http_port())});
    return r.out == "200";
  };
  using ms::test::Answered;
  using ms::test::ConnectFrom;
  using ms::test::Open;
  using ms::test::SendAll;
  using Clock = std::chrono::steady_clock;

  // 20 kept-alive connections from 127.0.2.1, each served once: the 21st from
  // that address is closed unanswered while 127.0.2.2 is served.
  std::vector<int> held;
  for (int i = 0; i < 20; ++i) {
    int fd = ConnectFrom("127.0.2.1", s.http_port());
    REQUIRE(fd >= 0);
    REQUIRE(SendAll(fd, get));
    REQUIRE(Answered(fd, Clock::now() + std::chrono::seconds(10)));
    std::string answer;
    CHECK(Open(fd, &answer));
    CHECK(answer.starts_with("HTTP/1.1 200 "));
    held.push_back(fd);
  }
  int over = ConnectFrom("127.0.2.1", s.http_port());
  REQUIRE(over >= 0);
  SendAll(over, get);
  REQUIRE(Answered(over, Clock::now() + std::chrono::seconds(10)));
  std::string refused;
  CHECK_FALSE(Open(over, &refused));
  CHECK(refused.empty());
  ::close(over);
  CHECK(served_from("127.0.2.2"));
  // One of the 20 goes: the address is served again.
  ::close(held.back());
  held.pop_back();
  auto until = Clock::now() + std::chrono::seconds(10);
  while (!served_from("127.0.2.1") && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(served_from("127.0.2.1"));
  for (int fd : held) ::close(fd);

  // A head that never ends is cut (header timeout 2 s), unanswered.
  int slow_head = ConnectFrom("127.0.2.3", s.http_port());
  REQUIRE(slow_head >= 0);
  REQUIRE(SendAll(slow_head, "GET / HTTP/1.1\r\nHost: " + app + ".localhost\r\nX-Slow: "));
  auto sent_at = Clock::now();
  while (Open(slow_head) && Clock::now() < sent_at + std::chrono::seconds(30)) {
    SendAll(slow_head, "a");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK_FALSE(Open(slow_head));
  // Cut by the proxy once its 2 s passed, not before, and not by this loop's 30 s.
  CHECK(Clock::now() - sent_at >= std::chrono::milliseconds(1900));
  CHECK(Clock::now() - sent_at < std::chrono::seconds(10));
  ::close(slow_head);

  // A body that trickles in below 240 bytes/s is cut once the 2 s have passed;
  // the app never answers it.
  int slow_body = ConnectFrom("127.0.2.4", s.http_port());
  REQUIRE(slow_body >= 0);
  REQUIRE(SendAll(slow_body, "POST / HTTP/1.1\r\nHost: " + app + ".localhost\r\nContent-Length: 100000\r\n\r\n"));
  sent_at = Clock::now();
  std::string got;
  while (Open(slow_body, &got) && Clock::now() < sent_at + std::chrono::seconds(30)) {
    SendAll(slow_body, "0123456789");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK_FALSE(Open(slow_body, &got));
  CHECK(Clock::now() - sent_at >= std::chrono::milliseconds(1900));
  CHECK(Clock::now() - sent_at < std::chrono::seconds(10));
  CHECK(got.find("HTTP/1.1 200") == std::string::npos);
  ::close(slow_body);
  CHECK(served_from("127.0.2.2"));
}

namespace {

// N new releases under wrk, each rolled out over 2 tasks one at a time (a push
// rolls out the same way; config:set skips the build, which would only compete
// with wrk for these machines' two cores), then a scale 3 to 1 to 3: no request
// fails (Load::Finish checks every answer).
void ReleasesUnderLoad(int releases) {
  TestServer s = BuildServer();
  const std::string app = Unique("zero");
  auto repo = SampleRepo(s, "hello-node");
  Push(s, repo, app);
  REQUIRE(s.Ssh(fmt::format("ps:scale {} web=2", app)).exit_code == 0);

  // 64 keep-alive connections, one thread, for as long as the changes take.
  ms::test::Load load(s, app, 64);
  for (int i = 1; i <= releases; ++i) {
    REQUIRE(s.Ssh(fmt::format("config:set {} REDEPLOY={}", app, i)).exit_code == 0);
  }
  REQUIRE(s.Ssh(fmt::format("ps:scale {} web=3", app)).exit_code == 0);
  REQUIRE(s.Ssh(fmt::format("ps:scale {} web=1", app)).exit_code == 0);
  REQUIRE(s.Ssh(fmt::format("ps:scale {} web=3", app)).exit_code == 0);
  load.Finish();
  auto listed = s.Ssh("releases " + app).out;
  CHECK(listed.find(fmt::format("v{}", releases + 1)) != std::string::npos);
}

// A body of MB megabytes up through the proxy and MB down, streamed: the
// proxy's peak memory moves by far less than a body.
void WebSocketAndBigBodies(int mb) {
  TestServer s = BuildServer();
  const std::string ws_app = Unique("ws");
  Push(s, SampleRepo(s, "websocket-echo"), ws_app);
  {
    // The first request after the push: the app's first deploy replaced the
    // proxy's worker (to join the app's network), and the push said
    // "Released" only once the new worker routes the app.
    WebSocket ws(s.http_port(), ws_app + ".localhost");
    INFO(ws.head());
    REQUIRE(ws.head().starts_with("HTTP/1.1 101 "));
    CHECK(ws.head().find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos);
    for (int i = 1; i <= 3; ++i) CHECK(ws.Echo(fmt::format("message {}", i)) == fmt::format("message {}", i));
  }

  const std::string app = Unique("big");
  Push(s, SampleRepo(s, "hello-node"), app);
  auto before = ProxyMemory(s, /*reset_peak=*/true);
  REQUIRE(before.first > 0);
  REQUIRE(before.second - before.first < 64);  // the peak starts from here
  const long long bytes = static_cast<long long>(mb) * 1024 * 1024;
  // Streamed from /dev/zero, chunked: the proxy never holds the body.
  auto up = Run({"bash", "-c",
                 fmt::format("head -c {} /dev/zero | curl -s -T - -H 'Host: {}.localhost' "
                             "http://127.0.0.1:{}/upload",
                             bytes, app, s.http_port())});
  CHECK(up.out == fmt::format("received {} bytes\n", bytes));
  auto down = Run({"bash", "-c",
                   fmt::format("curl -s -H 'Host: {}.localhost' 'http://127.0.0.1:{}/download?mb={}' | wc -c", app,
                               s.http_port(), mb)});
  CHECK(down.out == fmt::format("{}\n", bytes));
  auto after = ProxyMemory(s);
  WARN("proxy memory: " << before.first << " kB before, peak " << after.second << " kB");
  // The README says the peak moved by 16 kB; held to 256 kB here (allocator
  // and page noise), far from any body held in memory.
  CHECK(after.second - before.first < 256);
}

}  // namespace

// CI runs the short forms (complete in kind); the full ones are hidden, run by
// scripts/soak: ./build/bin/e2e_tests "[.full]"
TEST_CASE("proxy: under wrk load 3 rolled-out releases and a scale 3 to 1 to 3 fail no request", "[long]") {
  ReleasesUnderLoad(3);
}
TEST_CASE("proxy: under wrk load 10 rolled-out releases and a scale 3 to 1 to 3 fail no request", "[.full]") {
  ReleasesUnderLoad(10);
}

TEST_CASE("proxy: WebSocket messages round-trip - 256 MB up and down in bounded memory", "[long]") {
  WebSocketAndBigBodies(256);
}
TEST_CASE("proxy: WebSocket messages round-trip - 1 GB up and down in bounded memory", "[.full]") {
  WebSocketAndBigBodies(1024);
}

// A measurement, not in the suite (hidden): what the first deploy of a new app
// costs the apps already served, while the proxy restarts to join its network.
// ./build/bin/e2e_tests "[.measure]"
TEST_CASE("proxy: requests to app A while app B is deployed for the first time", "[.measure]") {
  TestServer s = BuildServer();
  const std::string a = Unique("first"), b = Unique("second");
  Push(s, SampleRepo(s, "hello-node"), a);
  auto report = s.dir() / "wrk.out";
  boost::process::child wrk("/usr/bin/wrk",
                            boost::process::args({"-t1", "-c64", "-d600s", "-H", "Host: " + a + ".localhost",
                                                  fmt::format("http://127.0.0.1:{}/", s.http_port())}),
                            boost::process::std_out > report.string(), boost::process::std_err > boost::process::null);
  auto repo_b = SampleRepo(s, "websocket-echo");
  auto started = std::chrono::steady_clock::now();
  Push(s, repo_b, b);
  auto pushed = std::chrono::steady_clock::now();
  ::kill(wrk.id(), SIGINT);
  wrk.wait();
  WARN(ms::test::ReadFile(report) << "push of B took "
                                  << std::chrono::duration<double>(pushed - started).count() << " s");
}
