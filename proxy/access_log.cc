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
  std::lock_guard lock(mu_);
  auto second = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (second != second_) {
    second_ = second;
    time_ = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", second);
  }
  if (buffer_.size() > kMaxPending) {
    ++dropped_;
    ++dropped_total_;
    return;
  }
  if (dropped_ > 0) {
    buffer_ += fmt::format("{{\"time\":\"{}\",\"dropped_lines\":{},\"why\":\"the log's reader was slow\"}}\n",
                           time_, dropped_);
    dropped_ = 0;
  }
  AppendAccessLogLine(buffer_, time_, entry);
  if (buffer_.size() > kFlushAt) FlushLocked();
}

void AccessLog::Flush() {
  std::lock_guard lock(mu_);
  FlushLocked();
}

bool AccessLog::empty() {
  std::lock_guard lock(mu_);
  return buffer_.empty();
}

uint64_t AccessLog::dropped() {
  std::lock_guard lock(mu_);
  return dropped_total_;
}

void AccessLog::FlushLocked() {
  size_t written = 0;
  while (written < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;  // EAGAIN: the rest waits for the next flush; another error: the same
    }
  }
  buffer_.erase(0, written);
}

}  // namespace ms::proxy
