#pragma once
// UnixHttpClient: HTTP/1.1 requests over a unix socket with libcurl, the way the
// Docker Engine API is spoken. Each call uses its own curl handle, so any thread
// may call it; response bodies are either returned whole or streamed to a
// callback as they arrive (logs, build and push progress).

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms {

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // "/v1.41/containers/json?all=1"
  std::map<std::string, std::string> headers;
  std::string body;                    // sent when body_file is empty
  std::filesystem::path body_file;     // streamed from disk (large tar archives)
  long timeout_seconds = 0;            // 0: none (streams that follow)
};

struct HttpResponse {
  long status = 0;
  std::string body;  // empty when streamed
};

class UnixHttpClient {
 public:
  explicit UnixHttpClient(std::string socket_path) : socket_path_(std::move(socket_path)) {}
  const std::string& socket_path() const { return socket_path_; }

  // Unavailable when nothing answers on the socket.
  Result<HttpResponse> Send(const HttpRequest& request);
  // Streams the body to on_data; return false from it to stop reading.
  Result<HttpResponse> Stream(const HttpRequest& request,
                              const std::function<bool(std::string_view)>& on_data);

 private:
  std::string socket_path_;
};

}  // namespace ms
