#pragma once
// Helpers shared by the files of EngineDockerClient (engine_docker_client.cc,
// engine_swarm.cc): request shapes, error messages, line splitting. Internal.

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/common/http_client.h"

namespace ms::engine {


inline HttpRequest Req(std::string method, std::string path, std::string body = "",
                std::map<std::string, std::string> headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

inline HttpRequest Upload(std::string method, std::string path, std::filesystem::path file,
                   std::map<std::string, std::string> headers) {
  HttpRequest r = Req(std::move(method), std::move(path), "", std::move(headers));
  r.body_file = std::move(file);
  return r;
}

inline std::string ErrorMessage(const HttpResponse& r) {
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    return body["message"];
  }
  return r.body.empty() ? fmt::format("HTTP {}", r.status) : r.body.substr(0, 500);
}

// Splits a byte stream into lines, keeping a partial last line for later.
class LineSplitter {
 public:
  explicit LineSplitter(std::function<void(std::string_view)> on_line) : on_line_(std::move(on_line)) {}
  void Feed(std::string_view data) {
    buffer_.append(data);
    size_t start = 0, nl;
    while ((nl = buffer_.find('\n', start)) != std::string::npos) {
      on_line_(std::string_view(buffer_).substr(start, nl - start));
      start = nl + 1;
    }
    buffer_.erase(0, start);
  }
  void Flush() {
    if (!buffer_.empty()) on_line_(buffer_);
    buffer_.clear();
  }

 private:
  std::function<void(std::string_view)> on_line_;
  std::string buffer_;
};


// Splits the multiplexed stdout/stderr stream of a container without a TTY
// (logs, exec, attach): 8-byte headers (stream, 0, 0, 0, size BE32), then the
// payload. on_frame gets 1 (stdout) or 2 (stderr); false stops.
class FrameSplitter {
 public:
  explicit FrameSplitter(std::function<bool(int, std::string_view)> on_frame) : on_frame_(std::move(on_frame)) {}
  bool Feed(std::string_view data) {
    buffer_.append(data);
    size_t pos = 0;
    bool ok = true;
    while (ok && buffer_.size() - pos >= 8) {
      auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + pos);
      size_t size = (size_t(h[4]) << 24) | (size_t(h[5]) << 16) | (size_t(h[6]) << 8) | size_t(h[7]);
      if (buffer_.size() - pos - 8 < size) break;
      ok = on_frame_(h[0] == 2 ? 2 : 1, std::string_view(buffer_).substr(pos + 8, size));
      pos += 8 + size;
    }
    buffer_.erase(0, pos);
    return ok;
  }

 private:
  std::function<bool(int, std::string_view)> on_frame_;
  std::string buffer_;
};

}  // namespace ms::engine
