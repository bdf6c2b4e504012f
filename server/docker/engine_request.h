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


}  // namespace ms::engine
