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

#include "test/support/apps.h"
#include "test/support/malformed_requests.h"
#include "test/support/run.h"
#include "test/support/test_server.h"

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
std::string SendRaw(int port, const std::string& bytes) {
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
  ::close(fd);
  return out;
}

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
  // Another app cannot take a domain in use; bad names are refused.
  auto taken = s.Ssh(fmt::format("domains:add {} www.shop.test", app));
  CHECK(taken.exit_code != 0);
  CHECK(taken.err.find("already") != std::string::npos);
  CHECK(s.Ssh(fmt::format("domains:add {} 'bad_name!'", app)).exit_code != 0);
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
  REQUIRE(s.Ssh("ps:stop " + app).exit_code == 0);
  auto stopped = Curl(s.http_port(), app + ".localhost");
  CHECK(stopped.status == 503);
  CHECK(stopped.headers.find("Retry-After:") != std::string::npos);
  REQUIRE(s.Ssh("ps:start " + app).exit_code == 0);
  CHECK(Curl(s.http_port(), app + ".localhost").status == 200);

  // Malformed and smuggling requests: 400 and a closed connection each; the
  // proxy keeps serving.
  for (auto bad : ms::test::MalformedRequests()) {
    INFO(bad.name);
    auto at = bad.bytes.find("app.localhost");
    if (at != std::string::npos) bad.bytes.replace(at, 13, app + ".localhost");
    std::string answer = SendRaw(s.http_port(), bad.bytes);
    CHECK(answer.starts_with("HTTP/1.1 400 "));
    CHECK(answer.find("Hello from Mothership!") == std::string::npos);
  }
  CHECK(Curl(s.http_port(), app + ".localhost").status == 200);

  // Prometheus metrics on the admin port.
  auto metrics = Run({"curl", "-s", fmt::format("http://127.0.0.1:{}/metrics", s.metrics_port())});
  CHECK(metrics.out.find(fmt::format("mothership_proxy_requests_total{{app=\"{}\",class=\"2xx\"}}", app)) !=
        std::string::npos);
  CHECK(metrics.out.find("mothership_proxy_request_duration_seconds_bucket") != std::string::npos);
}

TEST_CASE("proxy: under wrk load 10 rolled-out releases and a scale 3 to 1 to 3 fail no request") {
  // A new task proves itself in 1 s instead of 5: the rollouts are the same,
  // only quicker.
  TestServer s = BuildServer([](ms::Settings& settings) { settings.update_monitor_seconds = 1; });
  const std::string app = Unique("zero");
  auto repo = SampleRepo(s, "hello-node");
  Push(s, repo, app);
  REQUIRE(s.Ssh(fmt::format("ps:scale {} web=2", app)).exit_code == 0);

  // 64 keep-alive connections, one thread, for as long as the changes take.
  auto report = s.dir() / "wrk.out";
  boost::process::child wrk("/usr/bin/wrk",
                            boost::process::args({"-t1", "-c64", "-d600s", "-H", "Host: " + app + ".localhost",
                                                  fmt::format("http://127.0.0.1:{}/", s.http_port())}),
                            boost::process::std_out > report.string(), boost::process::std_err > boost::process::null);
  // Ten new releases, each rolled out over the 2 tasks one at a time (a push
  // rolls out the same way; config:set skips the build, which would only
  // compete with wrk for these machines' two cores).
  for (int i = 1; i <= 10; ++i) {
    REQUIRE(s.Ssh(fmt::format("config:set {} REDEPLOY={}", app, i)).exit_code == 0);
  }
  REQUIRE(s.Ssh(fmt::format("ps:scale {} web=3", app)).exit_code == 0);
  REQUIRE(s.Ssh(fmt::format("ps:scale {} web=1", app)).exit_code == 0);
  REQUIRE(s.Ssh(fmt::format("ps:scale {} web=3", app)).exit_code == 0);
  ::kill(wrk.id(), SIGINT);
  wrk.wait();

  std::string out = ms::test::ReadFile(report);
  INFO(out);
  if (auto at = out.find("requests in"); at != std::string::npos) {
    WARN("wrk: " << out.substr(out.rfind('\n', at) + 1, out.find('\n', at) - out.rfind('\n', at) - 1));
  }
  CHECK(out.find("requests in") != std::string::npos);
  CHECK(out.find("Non-2xx") == std::string::npos);
  CHECK(out.find("Socket errors") == std::string::npos);
  auto releases = s.Ssh("releases " + app).out;
  CHECK(releases.find("v11") != std::string::npos);
}
