#pragma once
// HttpClient: HTTP/1.1 requests with libcurl, either over a unix socket (the
// Docker Engine API) or over TCP (the image registry). Each call uses its own
// curl handle, so any thread may call it; response bodies are either returned
// whole or streamed to a callback as they arrive (logs, build and push progress).

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms {

struct HttpRequest {
  std::string method = "GET";
  std::string path;  // "/v1.41/containers/json?all=1", or a whole URL (http://...)
  std::map<std::string, std::string> headers;
  std::string body;                    // sent when body_file is empty
  std::filesystem::path body_file;     // streamed from disk (large tar archives)
  long timeout_seconds = 0;            // 0: none (streams that follow)
  std::string ca_file;                 // https: trust this PEM bundle instead of the system's
  // Checked about once a second while waiting; true ends the request (a
  // follow whose reader went away).
  std::function<bool()> cancelled;
};

struct HttpResponse {
  long status = 0;
  std::string body;  // empty when streamed
  std::map<std::string, std::string> headers;  // names in lower case
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpClient {
 public:
  // service names the other end in errors ("the Docker engine"); hint says how
  // to start it when nothing answers.
  static HttpClient UnixSocket(std::string socket_path, std::string service, std::string hint) {
    return HttpClient(std::move(socket_path), "http://localhost", std::move(service), std::move(hint));
  }
  // base_url: "http://localhost:5000".
  static HttpClient Tcp(std::string base_url, std::string service, std::string hint) {
    return HttpClient("", std::move(base_url), std::move(service), std::move(hint));
  }
  // Where requests go, for messages: the socket path or the base URL.
  const std::string& where() const { return socket_path_.empty() ? base_url_ : socket_path_; }

  // Unavailable when nothing answers.
  Result<HttpResponse> Send(const HttpRequest& request);
  // Streams the body to on_data; return false from it to stop reading.
  Result<HttpResponse> Stream(const HttpRequest& request,
                              const std::function<bool(std::string_view)>& on_data);

 private:
  HttpClient(std::string socket_path, std::string base_url, std::string service, std::string hint)
      : socket_path_(std::move(socket_path)), base_url_(std::move(base_url)), service_(std::move(service)),
        hint_(std::move(hint)) {}

  std::string socket_path_;
  std::string base_url_;
  std::string service_;
  std::string hint_;
};

}  // namespace ms
