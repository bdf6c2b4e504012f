#include "proxy/access_log.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

namespace ms::proxy {
namespace {

constexpr size_t kFlushAt = 64 * 1024;
constexpr size_t kMaxPending = 1024 * 1024;  // beyond it, lines are dropped
constexpr size_t kMaxPath = 512;

void JsonEscapeTo(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
}

}  // namespace

void AppendAccessLogLine(std::string& out, std::string_view time, const AccessLogEntry& e) {
  out += "{\"time\":\"";
  out += time;
  out += "\",\"app\":\"";
  JsonEscapeTo(out, e.app);
  out += "\",\"host\":\"";
  JsonEscapeTo(out, e.host);
  out += "\",\"method\":\"";
  JsonEscapeTo(out, e.method);
  out += "\",\"path\":\"";
  JsonEscapeTo(out, e.target.substr(0, kMaxPath));
  out += fmt::format(
      "\",\"status\":{},\"bytes\":{},\"duration_ms\":{:.2f},\"client\":\"{}\",\"upstream\":\"{}\",\"request_id\":\"{}\"}}\n",
      e.status, e.bytes, e.duration_ms, e.client, e.upstream, e.request_id);
}

void AccessLog::Add(const AccessLogEntry& entry) {
  // The line is made outside the lock (each loop's thread its own), so the
  // loops wait on each other only to append it.
  thread_local std::string line;
  thread_local std::chrono::sys_seconds second{};
  thread_local std::string time;
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (now != second) {
    second = now;
    time = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now);
  }
  line.clear();
  AppendAccessLogLine(line, time, entry);
  bool full = false;
  {
    std::lock_guard lock(mu_);
    if (buffer_.size() > kMaxPending) {
      ++dropped_;
      ++dropped_total_;
      return;
    }
    if (dropped_ > 0) {
      buffer_ += fmt::format("{{\"time\":\"{}\",\"dropped_lines\":{},\"why\":\"the log's reader was slow\"}}\n",
                             time, dropped_);
      dropped_ = 0;
    }
    buffer_ += line;
    full = buffer_.size() > kFlushAt;
  }
  if (full) Flush();
}

void AccessLog::Flush() {
  // One writer at a time (a line the descriptor took only in part is
  // finished first); the others go on adding meanwhile. A thread that finds
  // another writing waits for it: lines are dropped only when the
  // descriptor does not take them (a slow reader), never because a writer
  // was slow to be scheduled.
  std::lock_guard writing(write_mu_);
  {
    std::lock_guard lock(mu_);
    if (buffer_.empty()) return;
    writing_.swap(buffer_);
  }
  size_t written = 0;
  while (written < writing_.size()) {
    ssize_t n = ::write(fd_, writing_.data() + written, writing_.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EAGAIN: the rest waits for the next flush; another error: the same
    }
  }
  std::lock_guard lock(mu_);
  if (written < writing_.size()) buffer_.insert(0, writing_, written);  // first: it goes out first
  writing_.clear();
}

bool AccessLog::empty() {
  std::lock_guard lock(mu_);
  return buffer_.empty();
}

uint64_t AccessLog::dropped() {
  std::lock_guard lock(mu_);
  return dropped_total_;
}

}  // namespace ms::proxy
