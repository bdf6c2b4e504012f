// The access log's lines (access_log.h) and the admin endpoint's answers
// (admin.h).

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>
#include <string>

#include "proxy/access_log.h"
#include "proxy/admin.h"
#include "proxy/metrics.h"

using ms::proxy::AccessLogEntry;

namespace {

AccessLogEntry Entry() {
  AccessLogEntry e;
  e.app = "shop";
  e.host = "shop.example.com";
  e.method = "GET";
  e.target = "/cart?id=1";
  e.status = 200;
  e.bytes = 1234;
  e.duration_ms = 1.5;
  e.client = "203.0.113.7";
  e.upstream = "10.0.1.5:5000";
  e.request_id = "abc";
  return e;
}

std::string ReadAll(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

}  // namespace

TEST_CASE("An access-log line is one JSON object with the request's fields", "[proxy]") {
  std::string out;
  ms::proxy::AppendAccessLogLine(out, "2026-01-02T03:04:05Z", Entry());
  REQUIRE(out.back() == '\n');
  CHECK(out.find('\n') == out.size() - 1);
  auto j = nlohmann::json::parse(out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["time"] == "2026-01-02T03:04:05Z");
  CHECK(j["app"] == "shop");
  CHECK(j["host"] == "shop.example.com");
  CHECK(j["method"] == "GET");
  CHECK(j["path"] == "/cart?id=1");
  CHECK(j["status"] == 200);
  CHECK(j["bytes"] == 1234);
  CHECK(j["duration_ms"] == 1.5);
  CHECK(j["client"] == "203.0.113.7");
  CHECK(j["upstream"] == "10.0.1.5:5000");
  CHECK(j["request_id"] == "abc");
}

TEST_CASE("An access-log line escapes what a client chose, keeps it one line, and cuts long paths", "[proxy]") {
  AccessLogEntry e = Entry();
  std::string host = "a\"b\\c\nd\x01\x7f";
  std::string path = "/" + std::string(600, 'p');
  e.host = host;
  e.target = path;
  e.method = "G\tET";
  std::string out;
  ms::proxy::AppendAccessLogLine(out, "t", e);
  CHECK(out.find('\n') == out.size() - 1);
  auto j = nlohmann::json::parse(out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j["host"] == host);
  CHECK(j["method"] == "G\tET");
  CHECK(j["path"] == path.substr(0, 512));
}

TEST_CASE("AccessLog gathers lines and writes them on Flush", "[proxy]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file);
  ms::proxy::AccessLog log(fileno(file));
  log.Add(Entry());
  log.Add(Entry());
  CHECK_FALSE(log.empty());
  CHECK(ReadAll(file).empty());
  log.Flush();
  CHECK(log.empty());
  std::string written = ReadAll(file);
  size_t lines = 0;
  for (char c : written) lines += c == '\n';
  CHECK(lines == 2);
  std::fclose(file);
}

TEST_CASE("AccessLog writes by itself once 64 KB have gathered", "[proxy]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file);
  ms::proxy::AccessLog log(fileno(file));
  int lines = 0;
  for (; lines < 2000 && ReadAll(file).empty(); ++lines) log.Add(Entry());
  CHECK(lines > 100);  // not at once
  CHECK(log.empty());  // all of it went out
  CHECK(ReadAll(file).size() > 64 * 1024);
  std::fclose(file);
}

TEST_CASE("AccessLog never waits for a full pipe - keeps 1 MB, counts what it drops, says so once the reader is back", "[proxy]") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  REQUIRE(fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK) == 0);
  REQUIRE(fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK) == 0);
  ms::proxy::AccessLog log(fds[1]);
  // Nobody reads: the pipe (64 KB) fills, then the 1 MB kept, then lines drop.
  const int kLines = 20000;  // about 4 MB of lines
  for (int i = 0; i < kLines; ++i) log.Add(Entry());
  log.Flush();
  CHECK_FALSE(log.empty());
  CHECK(log.dropped() > 0);
  CHECK(log.dropped() < static_cast<uint64_t>(kLines));
  // The reader comes back: everything kept goes out, then a line saying how
  // many were dropped comes before the next entry.
  std::string all;
  char chunk[65536];
  auto drain = [&] {
    for (ssize_t n; (n = read(fds[0], chunk, sizeof chunk)) > 0;) all.append(chunk, static_cast<size_t>(n));
  };
  for (int i = 0; i < 100 && !log.empty(); ++i) {
    drain();
    log.Flush();
  }
  CHECK(log.empty());
  log.Add(Entry());
  log.Flush();
  drain();
  size_t lines = 0;
  for (char c : all) lines += c == '\n';
  CHECK(lines + log.dropped() == static_cast<uint64_t>(kLines) + 2);  // + the entry after, + the note
  REQUIRE(all.find(fmt::format("\"dropped_lines\":{},", log.dropped())) != std::string::npos);
  // What it kept while nobody read: what the pipe took, then 1 MB and at most one line more.
  const size_t kept = all.rfind('\n', all.find("\"dropped_lines\"")) + 1;
  const size_t line = all.find('\n') + 1;
  const size_t pipe_size = static_cast<size_t>(fcntl(fds[1], F_GETPIPE_SZ));
  CHECK(kept > pipe_size / 2 + 1024 * 1024);
  CHECK(kept <= pipe_size + 1024 * 1024 + line);
  CHECK(kept % line == 0);  // whole lines only
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("AccessLog from four threads at once - every line whole, none lost, while another thread flushes", "[proxy]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file);
  ms::proxy::AccessLog log(fileno(file));
  constexpr int kThreads = 4;
  constexpr int kEach = 5000;
  std::atomic<bool> adding{true};
  std::thread flusher([&] {
    while (adding) log.Flush();
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      const std::string id = fmt::format("thread-{}", t);
      for (int i = 0; i < kEach; ++i) {
        AccessLogEntry e = Entry();
        e.request_id = id;
        log.Add(e);
      }
    });
  }
  for (auto& t : threads) t.join();
  adding = false;
  flusher.join();
  log.Flush();
  CHECK(log.empty());
  const std::string written = ReadAll(file);
  std::map<std::string, int> per_thread;
  size_t at = 0;
  int bad = 0;
  for (size_t end; (end = written.find('\n', at)) != std::string::npos; at = end + 1) {
    auto line = nlohmann::json::parse(written.substr(at, end - at), nullptr, false);
    if (line.is_discarded() || !line.contains("request_id")) {
      ++bad;
      continue;
    }
    ++per_thread[line["request_id"].get<std::string>()];
  }
  CHECK(at == written.size());
  CHECK(bad == 0);
  REQUIRE(per_thread.size() == kThreads);
  for (const auto& [id, count] : per_thread) {
    INFO(id);
    CHECK(count == kEach);
  }
  std::fclose(file);
}

TEST_CASE("The admin endpoint answers /metrics, /healthz, 404 and 400, and waits for a whole head", "[proxy]") {
  ms::proxy::Metrics metrics;
  metrics.Request("shop", 200, 0.002);
  auto m = ms::proxy::AdminResponse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", metrics);
  REQUIRE(m);
  CHECK(m->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(m->find("Connection: close\r\n") != std::string::npos);
  CHECK(m->find("mothership_proxy_requests_total") != std::string::npos);
  CHECK(m->find("shop") != std::string::npos);

  auto h = ms::proxy::AdminResponse("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", metrics);
  REQUIRE(h);
  CHECK(h->rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(h->ends_with("Content-Length: 3\r\nConnection: close\r\n\r\nok\n"));

  auto other = ms::proxy::AdminResponse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", metrics);
  REQUIRE(other);
  CHECK(other->rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);

  auto bad = ms::proxy::AdminResponse("GET / HTTP/1.1\r\nHost x\r\n\r\n", metrics);
  REQUIRE(bad);
  CHECK(bad->rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);

  CHECK_FALSE(ms::proxy::AdminResponse("GET /metrics HTTP/1.1\r\nHost: x\r\n", metrics));
}
