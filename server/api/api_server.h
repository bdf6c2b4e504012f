#pragma once
// ApiServer: the HTTP API of mothershipd (JSON under /api/v1, api_routes.h).
// It listens on a unix socket that only the proxy reaches (DATA_DIR/proxy/
// api.sock, mounted into the proxy's containers; the proxy routes the platform
// host, mothership.DOMAIN, there) and on a loopback port for the daemon's own
// host. Every request needs `Authorization: Bearer TOKEN` (tokens:create);
// failed authentications are limited per client address. The client's address
// is the peer's on the port and the proxy's X-Forwarded-For on the socket
// (trusted only there). One thread per connection, at most max_connections;
// Start and Stop from one thread.

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

#include "server/api/api_routes.h"
#include "server/api/auth_limiter.h"
#include "server/api/live_builds.h"
#include "server/common/result.h"
#include "server/common/thread_group.h"
#include "server/services.h"

namespace ms {

struct ApiServerOptions {
  std::filesystem::path socket_path;  // "" : no socket
  std::string tcp_address = "127.0.0.1";
  int tcp_port = 0;  // 0 picks a free port; -1: no port
  int max_connections = 64;
  int idle_timeout_seconds = 75;      // between requests, and for a stalled read or write
  size_t max_body_bytes = 1 << 20;    // larger bodies get 413
  size_t max_archive_bytes = 1 << 30; // a deploy's .tar.gz (max_push_mb), and its files unpacked
  int auth_burst = 10;                // failed authentications an address may make at once,
  int auth_refill_seconds = 6;        // then one per this many seconds
};

class ApiServer {
 public:
  ApiServer(Services& services, ApiServerOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds both listeners and starts accepting; returns the TCP port (0 when none).
  Result<int> Start();
  // Stops accepting, ends open connections and waits for their threads.
  void Stop();

 private:
  enum class Via { kProxySocket, kLoopback };
  void AcceptLoop(int listen_fd, Via via);
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  void Serve(int fd, Via via, std::string peer);
  // Who asks: an API token (Authorization: Bearer) or a dashboard session
  // (its cookie, with the CSRF checks); nullopt with `reply` set to say why not.
  std::optional<Caller> Authenticate(const Request& req, const std::string& address, ApiReply& reply);
  // The 429 for an address past its failed authentications (Retry-After); nullopt when it may try.
  std::optional<ApiReply> RateLimited(const std::string& address, AuthLimiter::Clock::time_point now);
  // /api/v1/session: the dashboard's sign-in (POST), session (GET) and sign-out (DELETE).
  ApiReply SessionRoute(const ApiRequest& request, const Request& req, const std::string& address);

  Services& services_;
  const ApiServerOptions options_;
  AuthLimiter limiter_;
  int unix_fd_ = -1;
  int tcp_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> acceptors_;
  ThreadGroup connections_;
  LiveBuilds builds_;
  std::mutex open_mu_;
  std::set<int> open_fds_;
};

}  // namespace ms
