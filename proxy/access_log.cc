#include "proxy/access_log.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace ms::proxy {
namespace {

constexpr size_t kFlushAt = 64 * 1024;
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
  auto second = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (second != second_) {
    second_ = second;
    time_ = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", second);
  }
  AppendAccessLogLine(buffer_, time_, entry);
  if (buffer_.size() > kFlushAt) Flush();
}

void AccessLog::Flush() {
  if (buffer_.empty()) return;
  std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
  std::fflush(out_);
  buffer_.clear();
}

}  // namespace ms::proxy
