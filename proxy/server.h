#pragma once
// The proxy server: accepts client connections, reads requests with the strict
// parser, routes them by Host to an app's tasks and streams bodies both ways
// in fixed buffers (constant memory per connection, none while idle). One
// thread runs everything on one io_context.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio.hpp>

#include "proxy/http_parser.h"
#include "proxy/metrics.h"
#include "proxy/routes.h"
#include "proxy/upstreams.h"

namespace ms::proxy {

struct ProxyConfig {
  std::string listen_host = "0.0.0.0";
  uint16_t listen_port = 8080;   // 0: any free port (tests)
  std::string admin_host = "127.0.0.1";
  uint16_t admin_port = 0;       // /metrics; 0: any free port
  bool admin = true;
  HeadLimits head;
  uint64_t max_body_bytes = 0;   // 0: no limit
  size_t max_connections = 20000;
  std::chrono::seconds header_timeout{10};    // a request's head, from its first byte
  std::chrono::seconds idle_timeout{75};      // between requests on a keep-alive connection
  std::chrono::seconds connect_timeout{3};    // to a task
  std::chrono::seconds response_timeout{60};  // from the request sent to the response's head
  std::chrono::seconds body_timeout{60};      // without a byte while a body streams
  bool access_log = true;
};

class Server {
 public:
  Server(asio::io_context& io, ProxyConfig config);
  ~Server();

  // Binds the listening sockets (throws boost::system::system_error).
  void Start();
  // As a worker behind an edge (edge.h): takes its connections from the edge's
  // unix socket instead of listening; public_port is the edge's HTTP port.
  void StartFromEdge(const std::string& socket_path, uint16_t public_port);
  // Stops accepting; idle connections close, busy ones finish their request.
  void Drain();

  void SetRoutes(RouteTable routes);
  uint16_t port() const { return port_; }
  uint16_t admin_port() const { return admin_port_; }
  const Metrics& metrics() const { return metrics_; }

 private:
  struct Conn;
  asio::awaitable<void> Accept();
  asio::awaitable<void> AcceptAdmin();
  asio::awaitable<void> Session(tcp::socket socket);
  asio::awaitable<void> AdminSession(tcp::socket socket);
  // Reads and serves one request; false: close the client connection.
  asio::awaitable<bool> Handle(std::shared_ptr<Conn> c);
  // Closes connections whose deadline has passed, four times a second.
  asio::awaitable<void> Sweep();
  asio::awaitable<void> FlushLogLoop();
  asio::awaitable<void> ReceiveFromEdge(std::string socket_path);
  void Serve(tcp::socket socket, bool admin);
  void StartCommon();
  void Log(const Conn& c, const RequestHead& req, const std::string& app, int status, uint64_t bytes,
           Clock::time_point start, const std::string& upstream);

  asio::io_context& io_;
  ProxyConfig config_;
  tcp::acceptor acceptor_;
  tcp::acceptor admin_acceptor_;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
  std::string port_text_;  // X-Forwarded-Port
  std::shared_ptr<const RouteTable> routes_;
  Upstreams upstreams_;
  Metrics metrics_;
  std::string log_buffer_;
  std::chrono::sys_seconds log_second_{};
  std::string log_time_;
  Conn* conns_ = nullptr;  // every open client connection
  std::unique_ptr<asio::local::stream_protocol::socket> edge_;  // worker mode
  bool draining_ = false;
  std::shared_ptr<bool> alive_;
};

}  // namespace ms::proxy
