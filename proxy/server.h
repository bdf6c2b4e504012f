#pragma once
// The proxy server: the listeners and the client sessions. It accepts client
// connections (or takes them from an edge, edge.h), reads each request's head
// with the strict parser, routes it by Host, and serves it through the layers
// below: head_rewrite.h (the heads both ways), exchange.h (a task picked,
// connected to and retried), body_relay.h (bodies streamed in fixed buffers:
// constant memory per connection, none while idle), tunnel.h (upgrades),
// access_log.h and admin.h (/metrics). One thread runs a Server on its own
// io_context; the proxy runs one per core (loop_group.h), sharing LoopShared.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio.hpp>

#include "proxy/access_log.h"
#include "proxy/client_caps.h"
#include "proxy/config.h"
#include "proxy/connection.h"
#include "proxy/framing.h"
#include "proxy/http_parser.h"
#include "proxy/metrics.h"
#include "proxy/routes.h"
#include "proxy/tls.h"
#include "proxy/upstreams.h"

namespace ms::proxy {

class Exchange;

// What the Servers of one proxy process share (loop_group.h).
struct LoopShared {
  explicit LoopShared(const ProxyConfig& config)
      : caps(config.max_connections, config.max_connections_per_address), access_log(STDOUT_FILENO) {}
  ClientCaps caps;
  AccessLog access_log;
  // Where a connection the server accepted or took from the edge goes (a
  // descriptor and its tag): empty, served where it came in.
  std::function<void(int fd, char tag)> dispatch;
  // /metrics: empty, the server's own.
  std::function<std::string()> metrics_text;
  // Where the first loop's DNS answers go (key "host:port"): empty, one loop.
  std::function<void(const std::string& key, const std::vector<tcp::endpoint>& addresses)> resolved;
};

class Server {
 public:
  // shared: nullptr, the server's own (one loop).
  Server(asio::io_context& io, ProxyConfig config, std::shared_ptr<LoopShared> shared = nullptr);
  ~Server();

  // Binds the listening sockets (throws boost::system::system_error).
  void Start();
  // As a worker behind an edge (edge.h): takes its connections from the edge's
  // unix socket instead of listening; public_port and public_https_port are
  // the edge's (X-Forwarded-Port).
  void StartFromEdge(const std::string& socket_path, uint16_t public_port, uint16_t public_https_port = 443);
  // As a loop that serves only what another hands it (Adopt); public_port as
  // for StartFromEdge (0: standalone).
  void StartAdopting(uint16_t public_port);
  // Serves a connection another loop took (any thread may call it).
  void Adopt(int fd, char tag);
  // The https port the edge said it listens on (another loop heard it).
  void SetHttpsPort(uint16_t port);
  // A name's addresses, as the first loop's lookup found them (any thread).
  void SetResolved(const std::string& key, const std::vector<tcp::endpoint>& addresses);
  // Called (on this loop) when the edge says it listens for https.
  void OnHttpsPort(std::function<void(uint16_t)> fn) { on_https_port_ = std::move(fn); }
  // Stops accepting; idle connections close, busy ones finish their request.
  void Drain();
  // Draining, and done: the edge has closed the link (it sends no more
  // connections) and no connection is open.
  bool Drained() const { return draining_ && !has_edge_ && metrics_.open_connections() == 0; }

  // tls: the certificates another loop loaded for these routes (loop_group.h:
  // one set of OpenSSL contexts for every loop); nullptr: loaded here when
  // their files changed.
  void SetRoutes(RouteTable routes, std::shared_ptr<const TlsContexts> tls = nullptr);
  std::shared_ptr<const TlsContexts> tls() const { return tls_; }
  uint16_t port() const { return port_; }
  uint16_t https_port() const { return https_port_; }
  uint16_t admin_port() const { return admin_port_; }
  const Metrics& metrics() const { return metrics_; }

 private:
  struct Request;
  asio::awaitable<void> Accept(tcp::acceptor& acceptor, char tag);
  asio::awaitable<void> AcceptAdmin();
  // A client connection's requests, one after another; fresh: the connection
  // was just opened (its TLS handshake first, when tls), else Park found it
  // readable.
  asio::awaitable<void> Session(std::shared_ptr<Connection> c, bool tls, bool fresh);
  // An idle connection while many are open: no coroutine waits for it, only
  // a wait on its socket, which starts a new Session once the client sends.
  void Park(std::shared_ptr<Connection> c);
  // The end of a connection: closed, out of the list, no longer counted.
  void End(Connection& c);
  // Reads and serves one request; false: close the client connection.
  asio::awaitable<bool> Handle(std::shared_ptr<Connection> c);
  // kDone, or kIncomplete when the client went away first.
  asio::awaitable<Parse> ReadRequestHead(Connection& c, RequestHead& req);
  // Answers a request the parser refused, and closes.
  asio::awaitable<bool> RefuseMalformed(Connection& c, Request& r);
  // Answers with the proxy's own error page; false: close.
  // routes_version: for the probe (X-Mothership-Routes).
  asio::awaitable<bool> Answer(Connection& c, Request& r, int status, std::string_view routes_version = {});
  // http:redirect: 301 (GET, HEAD) or 308 to the same URL over https.
  asio::awaitable<bool> Redirect(Connection& c, Request& r);
  // An ACME http-01 token's key authorization, as text.
  asio::awaitable<bool> AnswerAcme(Connection& c, Request& r, const std::string& answer);
  // The readiness probe (server/contracts/proxy_probe.h).
  asio::awaitable<bool> AnswerProbe(Connection& c, Request& r, const RouteTable& routes);
  // After a 101 from the task: the 101 to the client, then the tunnel.
  asio::awaitable<bool> Upgrade(Connection& c, Request& r, const ResponseHead& resp, Buffer& out,
                                const std::string& task);
  // After the response body: keeps the task's connection or closes it,
  // counts and logs the request; false: the client's connection is broken.
  bool Finish(Connection& c, Request& r, const ResponseHead& resp, const Framing& body, const Buffer& out,
              bool relayed_all, uint64_t bytes, const Exchange& exchange);
  // Closes connections whose deadline has passed, four times a second.
  asio::awaitable<void> Sweep();
  asio::awaitable<void> FlushLogLoop();
  // Until every running app's tasks resolve (at most 5 s): then the edge's
  // connections are taken.
  asio::awaitable<void> WarmUp();
  asio::awaitable<void> ReceiveFromEdge(std::string socket_path);
  // tag: 'h' http, 's' https, 'm' the admin endpoint (edge.h's tags).
  void Serve(tcp::socket socket, char tag);
  // Serve for a descriptor (the edge's, or one another loop took).
  void ServeDescriptor(int fd, char tag);
  // follower: a loop that serves what another hands it (StartAdopting).
  void StartCommon(bool follower = false);
  // What /metrics answers with.
  std::function<std::string()> MetricsText() const;
  void Log(const Connection& c, const Request& r, int status, uint64_t bytes, std::string_view upstream);

  asio::io_context& io_;
  ProxyConfig config_;
  tcp::acceptor acceptor_;
  tcp::acceptor https_acceptor_;
  tcp::acceptor admin_acceptor_;
  uint16_t port_ = 0;
  uint16_t https_port_ = 0;       // 0: no https (yet)
  uint16_t edge_https_port_ = 0;  // the public one, once the edge listens there
  uint16_t admin_port_ = 0;
  std::string port_text_;        // X-Forwarded-Port
  std::string https_port_text_;
  std::shared_ptr<const TlsContexts> tls_;  // the routes' certificates
  std::string tls_files_;  // what tls_ was made from (names, sizes, times): made again only when it changes
  std::shared_ptr<const RouteTable> routes_;
  Upstreams upstreams_;
  Metrics metrics_;
  std::shared_ptr<LoopShared> shared_;
  std::function<void(uint16_t)> on_https_port_;
  Connection* conns_ = nullptr;  // every open client connection
  std::unique_ptr<asio::local::stream_protocol::socket> edge_;  // worker mode
  std::atomic<bool> has_edge_ = false;  // edge_ is set (other threads read it: Drained)
  std::atomic<bool> draining_ = false;
  std::shared_ptr<bool> alive_;
};

}  // namespace ms::proxy
