#pragma once
// The access log: one JSON line per request (time, app, host, method, path,
// status, bytes, duration, client, upstream task, request id), gathered in
// memory and written to a descriptor (stdout) when 64 KB have gathered or
// when Flush is called (the server does every 200 ms). The proxy's loops
// share one (loop_group.h): any thread may call it, and lines from several
// never mix (a write the descriptor took only in part is finished first).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
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
  // fd: where the lines go (stdout's descriptor, made non-blocking by the
  // server). A write never waits: what the reader (the engine's log driver)
  // cannot take yet stays, up to 1 MB; lines beyond that are dropped and
  // counted, and the count is logged once writing works again. A slow log
  // reader never stalls serving.
  explicit AccessLog(int fd) : fd_(fd) {}
  void Add(const AccessLogEntry& entry);
  // Writes what has gathered, as much as the descriptor takes now.
  void Flush();
  bool empty();
  uint64_t dropped();

 private:
  std::mutex mu_;  // buffer_ and the counts
  int fd_;
  std::string buffer_;
  uint64_t dropped_ = 0;        // since the last line that said so
  uint64_t dropped_total_ = 0;
  std::mutex write_mu_;   // held by the one thread writing writing_
  std::string writing_;   // what that thread took from buffer_
};

}  // namespace ms::proxy
