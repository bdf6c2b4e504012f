#pragma once
// The access log: one JSON line per request (time, app, host, method, path,
// status, bytes, duration, client, upstream task, request id), gathered in
// memory and written to a FILE (stdout) when 64 KB have gathered or when
// Flush is called (the server does every 200 ms). The proxy's one thread
// calls it.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace ms::proxy {

struct AccessLogEntry {
  std::string_view app;     // "-" when no app
  std::string_view host;
  std::string_view method;
  std::string_view target;  // logged as "path", its first 512 bytes
  int status = 0;
  uint64_t bytes = 0;
  double duration_ms = 0;
  std::string_view client;    // an address
  std::string_view upstream;  // "address:port", or empty
  std::string_view request_id;
};

// Appends the entry's line (newline included) to out; time is the line's
// "time" ("2026-01-02T03:04:05Z"). Strings a client chose are JSON-escaped.
void AppendAccessLogLine(std::string& out, std::string_view time, const AccessLogEntry& entry);

class AccessLog {
 public:
  explicit AccessLog(std::FILE* out) : out_(out) {}
  void Add(const AccessLogEntry& entry);
  // Writes what has gathered.
  void Flush();
  bool empty() const { return buffer_.empty(); }

 private:
  std::FILE* out_;
  std::string buffer_;
  std::chrono::sys_seconds second_{};  // of time_, formatted once a second
  std::string time_;
};

}  // namespace ms::proxy
