#pragma once
// LogEvents: an app's log lines ("TIME app[web.1]: text") as Server-Sent
// Events for GET /api/v1/apps/APP/logs: each line an event whose id is its
// time, so a client that reconnects with Last-Event-ID gets only the lines
// after it (Docker's RFC 3339 times, compared to the nanosecond); Heartbeat writes a
// comment that keeps the stream alive through the proxy's idle timeout.
// Thread-safe (the log's thread and the heartbeat's).

#include <mutex>
#include <string>
#include <string_view>

#include "server/api/api_reply.h"
#include "server/common/output.h"

namespace ms {

class LogEvents : public Output {
 public:
  // `after`: the Last-Event-ID the client sent ("" for none).
  LogEvents(const StreamWrite& write, std::string after) : write_(write), after_(std::move(after)) {}
  void Write(std::string_view data) override;
  void Heartbeat();
  // A named event ("error") with data over as many lines as it has.
  void Event(const std::string& name, const std::string& data);
  // The client went away (a write failed).
  bool gone();

 private:
  const StreamWrite& write_;
  const std::string after_;
  std::mutex mu_;
  std::string partial_;
  bool gone_ = false;
};

}  // namespace ms
