#pragma once
// The proxy's settings: where it listens, its limits and its timeouts (main.cc
// fills them from flags).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "proxy/http_parser.h"

namespace ms::proxy {

struct ProxyConfig {
  std::string listen_host = "0.0.0.0";
  uint16_t listen_port = 8080;   // 0: any free port (tests)
  // https beside http (standalone; behind an edge the edge listens): off
  // when https_port is unset.
  std::string https_host = "0.0.0.0";
  std::optional<uint16_t> https_port;  // 0: any free port (tests)
  std::string tls_secret;  // the session tickets' key secret (tls.h); empty: a random one
  std::string admin_host = "127.0.0.1";
  uint16_t admin_port = 0;       // /metrics; 0: any free port
  bool admin = true;
  HeadLimits head;
  uint64_t max_body_bytes = 0;   // 0: no limit
  size_t max_connections = 20000;
  // Open connections from one client address (more are closed at once); 0: no cap.
  size_t max_connections_per_address = 1000;
  std::chrono::seconds header_timeout{10};    // a request's head, from its first byte
  // A request body must average this rate once header_timeout has passed
  // since it began (a slow-body client is cut there); 0: no minimum.
  uint64_t min_body_bytes_per_second = 240;
  std::chrono::seconds idle_timeout{75};      // between requests on a keep-alive connection
  std::chrono::seconds connect_timeout{3};    // to a task
  // The first connection of a request when the app has another task to try:
  // a task on a host that is gone never answers, and the request goes to
  // another within this.
  std::chrono::milliseconds first_connect_timeout{1000};
  // Bytes sent to a task and not acknowledged for this long end its connection
  // (TCP_USER_TIMEOUT): a kept connection to a task on a host that is gone
  // fails here rather than after response_timeout.
  std::chrono::milliseconds unacknowledged_timeout{3000};
  std::chrono::seconds response_timeout{60};  // from the request sent to the response's head
  std::chrono::seconds body_timeout{60};      // without a byte while a body streams
  bool access_log = true;
  // With an edge: a file created once the worker knows every running app's
  // tasks and takes the edge's connections (its container's health check).
  std::string ready_file;
};

}  // namespace ms::proxy
