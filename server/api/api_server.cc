#include "server/api/api_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstring>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <openssl/crypto.h>
#include <algorithm>
#include <ctime>
#include <fmt/format.h>

#include "server/api/api_routes.h"
#include "server/api/dashboard_files.h"
#include "server/api/terminal.h"
#include "server/api/fd_stream.h"
#include "server/common/log.h"
#include "server/keys/api_token.h"
#include "server/common/cookies.h"
#include "server/keys/web_session.h"

namespace ms {
namespace http = boost::beast::http;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;

Result<int> ListenUnix(const std::filesystem::path& path) {
  sockaddr_un addr{};
  if (path.string().size() >= sizeof addr.sun_path) {
    return InvalidArgument(fmt::format("the API socket path {} is too long", path.string()));
  }
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::filesystem::remove(path, ec);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Failed(fmt::format("cannot make the API socket: {}", std::strerror(errno)));
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    int e = errno;
    ::close(fd);
    return Failed(fmt::format("cannot listen on {}: {}", path.string(), std::strerror(e)));
  }
  // The proxy's containers run as another user: it may connect, no one else
  // on the host reaches the directory (DATA_DIR is 0700).
  ::chmod(path.c_str(), 0666);
  return fd;
}

Result<int> ListenTcp(const std::string& address, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Failed(fmt::format("cannot make the API's socket: {}", std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    return InvalidArgument(fmt::format("'{}' is not an IPv4 address for the API", address));
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    int e = errno;
    ::close(fd);
    return Failed(fmt::format("cannot listen on {}:{} for the API: {} (api_port in config.yaml)", address, port,
                              std::strerror(e)));
  }
  return fd;
}

// "203.0.113.7" from X-Forwarded-For as the proxy sets it (it replaces what
// clients send); the last entry, trimmed and bounded.
std::string ForwardedAddress(std::string_view header) {
  if (auto comma = header.rfind(','); comma != std::string_view::npos) header.remove_prefix(comma + 1);
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  std::string out;
  for (char c : header.substr(0, 64)) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':') {
      out.push_back(c);
    }
  }
  return out.empty() ? "proxy" : out;
}

std::string_view ReasonId(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 408: return "timeout";
    case 413: return "payload_too_large";
    case 429: return "rate_limit";
    case 431: return "headers_too_large";
    default: return "error";
  }
}

// A streamed answer: the head, then each piece the reply's function writes as
// a chunk, then the last chunk. False when the client went away (the
// connection then closes).
bool WriteStream(FdStream& stream, ApiReply& reply, unsigned version) {
  http::response<http::empty_body> res{static_cast<http::status>(reply.status), version};
  res.set(http::field::content_type, reply.content_type);
  res.set(http::field::cache_control, "no-store");
  for (const auto& [name, value] : reply.headers) res.set(name, value);
  res.chunked(true);
  http::response_serializer<http::empty_body> head(res);
  boost::system::error_code ec;
  http::write_header(stream, head, ec);
  if (ec) return false;
  bool gone = false;
  reply.stream([&](std::string_view data) {
    if (gone) return false;
    if (data.empty()) return true;
    boost::asio::write(stream, http::make_chunk(boost::asio::buffer(data.data(), data.size())), ec);
    gone = static_cast<bool>(ec);
    return !gone;
  });
  if (gone) return false;
  boost::asio::write(stream, http::make_chunk_last(), ec);
  return !ec;
}

// "/api/v1/apps/APP/run": the terminal's WebSocket.
bool TerminalPath(std::string_view path) {
  constexpr std::string_view kPrefix = "/api/v1/apps/";
  if (!path.starts_with(kPrefix) || !path.ends_with("/run") || path.size() <= kPrefix.size() + 4) return false;
  return path.substr(kPrefix.size(), path.size() - kPrefix.size() - 4).find('/') == std::string_view::npos;
}

// A CSRF token compared in constant time.
bool SameSecret(std::string_view given, std::string_view expected) {
  return !expected.empty() && given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

// Whether a browser's Origin ("https://mothership.example.com") names the host it asked (Host).
bool SameOrigin(std::string_view origin, std::string_view host) {
  auto scheme = origin.find("://");
  return scheme != std::string_view::npos && !host.empty() && origin.substr(scheme + 3) == host;
}

nlohmann::json SessionJson(const WebSession& s) {
  return {{"key_name", s.key_name},
          {"role", s.role == Role::kAdmin ? "admin" : "developer"},
          {"token", s.token_name},
          {"csrf_token", s.csrf},
          {"expires_at", s.expires_at}};
}

bool PeerGone(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace

ApiServer::ApiServer(Services& services, ApiServerOptions options)
    : services_(services),
      options_(std::move(options)),
      limiter_(options_.auth_burst, std::chrono::seconds(options_.auth_refill_seconds)) {}

ApiServer::~ApiServer() { Stop(); }

Result<int> ApiServer::Start() {
  if (::pipe2(stop_pipe_, O_CLOEXEC) != 0) return Failed("cannot make a pipe for the API server");
  int port = 0;
  if (!options_.socket_path.empty()) {
    auto fd = ListenUnix(options_.socket_path);
    if (!fd) return std::unexpected(fd.error());
    unix_fd_ = *fd;
  }
  if (options_.tcp_port >= 0) {
    auto fd = ListenTcp(options_.tcp_address, options_.tcp_port);
    if (!fd) return std::unexpected(fd.error());
    tcp_fd_ = *fd;
    sockaddr_in bound{};
    socklen_t len = sizeof bound;
    ::getsockname(tcp_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
    port = ntohs(bound.sin_port);
  }
  if (unix_fd_ >= 0) acceptors_.emplace_back([this] { AcceptLoop(unix_fd_, Via::kProxySocket); });
  if (tcp_fd_ >= 0) acceptors_.emplace_back([this] { AcceptLoop(tcp_fd_, Via::kLoopback); });
  return port;
}

void ApiServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (stop_pipe_[1] >= 0) (void)!::write(stop_pipe_[1], "x", 1);
  for (auto& t : acceptors_) t.join();
  acceptors_.clear();
  {
    std::lock_guard lock(open_mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  connections_.JoinAll();
  builds_.threads().JoinAll();
  for (int* fd : {&unix_fd_, &tcp_fd_, &stop_pipe_[0], &stop_pipe_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  if (!options_.socket_path.empty()) {
    std::error_code ec;
    std::filesystem::remove(options_.socket_path, ec);
  }
}

void ApiServer::AcceptLoop(int listen_fd, Via via) {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LogWarn("API: poll failed: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents || stopping_) return;
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        LogWarn("API: out of file descriptors; not accepting for 100 ms");
        ::poll(nullptr, 0, 100);
      }
      continue;
    }
    if (connections_.Count() >= options_.max_connections) {
      static constexpr std::string_view kBusy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
          "Connection: close\r\nContent-Length: 71\r\n\r\n"
          "{\"id\":\"unavailable\",\"message\":\"too many connections; try again soon\"}\n";
      (void)!::send(fd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      continue;
    }
    std::string address;
    if (peer.ss_family == AF_INET) {
      auto* in = reinterpret_cast<sockaddr_in*>(&peer);
      char text[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
      address = text;
    }
    {
      std::lock_guard lock(open_mu_);
      open_fds_.insert(fd);
    }
    connections_.Spawn([this, fd, via, address] {
      Serve(fd, via, address);
      {
        std::lock_guard lock(open_mu_);
        open_fds_.erase(fd);
      }
      ::close(fd);
    });
  }
}

std::optional<ApiReply> ApiServer::RateLimited(const std::string& address, AuthLimiter::Clock::time_point now) {
  auto wait = limiter_.RetryAfter(address, now);
  if (!wait) return std::nullopt;
  ApiReply reply = ErrorReply(
      429, "rate_limit", fmt::format("too many failed authentications from {}; try again in {} s", address, *wait));
  reply.headers.emplace_back("Retry-After", std::to_string(*wait));
  return reply;
}

std::optional<Caller> ApiServer::Authenticate(const Request& req, const std::string& address, ApiReply& reply) {
  auto now = AuthLimiter::Clock::now();
  if (auto limited = RateLimited(address, now)) {
    reply = std::move(*limited);
    return std::nullopt;
  }
  std::optional<Caller> caller;
  std::string_view auth = req[http::field::authorization];
  std::string cookie = CookieValue(req[http::field::cookie], kSessionCookie);
  if (auth.empty() && !cookie.empty()) {
    // A dashboard session. A change must echo the session's CSRF token (a page
    // of another site can send the cookie's requests, never read the token);
    // a WebSocket must come from a page of this host.
    auto session = FindSession(services_.store, cookie);
    if (!session) {
      reply = ErrorReply(session.error());
      return std::nullopt;
    }
    if (*session) {
      const WebSession& s = **session;
      bool reads = req.method() == http::verb::get || req.method() == http::verb::head;
      if (!reads && !SameSecret(req["X-CSRF-Token"], s.csrf)) {
        reply = ErrorReply(403, "csrf", "this change lacks the session's X-CSRF-Token; reload the dashboard");
        return std::nullopt;
      }
      if (boost::beast::websocket::is_upgrade(req) && !SameOrigin(req[http::field::origin], req[http::field::host])) {
        reply = ErrorReply(403, "csrf", "a WebSocket of the dashboard must come from its own page");
        return std::nullopt;
      }
      return Caller{s.key_name, s.role, address, s.token_name, s.key_fingerprint, s.token_id};
    }
    reply = ErrorReply(401, "unauthorized",
                       "your dashboard session has ended (signed out, over 12 hours old, or its key or token "
                       "was removed): sign in again");
  } else {
    std::string token;
    if (auth.size() > 7 && (auth.starts_with("Bearer ") || auth.starts_with("bearer "))) {
      token = std::string(auth.substr(7));
    }
    if (token.empty()) {
      reply = ErrorReply(401, "unauthorized",
                         "this needs an API token: Authorization: Bearer TOKEN (ssh ... tokens:create NAME)");
    } else if (auto found = TokenCaller(services_.store, token, static_cast<int64_t>(std::time(nullptr))); !found) {
      reply = ErrorReply(found.error());
    } else if (*found) {
      caller = std::move(**found);
      caller->address = address;
    }
    if (!caller && reply.status == 200) {
      reply = ErrorReply(401, "unauthorized", "the token is not valid: it was revoked, expired, or never made");
    }
  }
  if (!caller && reply.status == 401) {
    limiter_.Failed(address, now);
    reply.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  return caller;
}

ApiReply ApiServer::SessionRoute(const ApiRequest& request, const Request& req, const std::string& address) {
  std::string cookie = CookieValue(req[http::field::cookie], kSessionCookie);
  if (request.method == "GET") {
    auto session = FindSession(services_.store, cookie);
    if (!session) return ErrorReply(session.error());
    if (!*session) return ErrorReply(401, "unauthorized", "not signed in");
    return ApiReply{200, SessionJson(**session)};
  }
  if (request.method == "DELETE") {
    auto session = FindSession(services_.store, cookie);
    if (!session) return ErrorReply(session.error());
    if (*session && !SameSecret(req["X-CSRF-Token"], (*session)->csrf)) {
      return ErrorReply(403, "csrf", "signing out needs the session's X-CSRF-Token; reload the dashboard");
    }
    if (auto r = SignOut(services_.store, cookie); !r) return ErrorReply(r.error());
    ApiReply reply{200, {{"signed_out", true}}};
    reply.headers.emplace_back("Set-Cookie", SessionCookieHeader("", 0));
    return reply;
  }
  if (request.method != "POST") {
    return ErrorReply(405, "method_not_allowed", "the session is read (GET), made (POST) or ended (DELETE)");
  }
  auto now = AuthLimiter::Clock::now();
  if (auto limited = RateLimited(address, now)) return std::move(*limited);
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  std::string secret;
  if (body.is_object()) {
    for (const char* field : {"token", "code"}) {
      if (body.contains(field) && body[field].is_string()) secret = body[field].get<std::string>();
    }
  }
  if (secret.empty()) {
    return ErrorReply(422, "invalid_params", "sign in with {\"token\": \"mst_...\"} or {\"code\": \"...\"} (a link's)");
  }
  auto signed_in = SignIn(services_.store, secret);
  if (!signed_in) {
    if (signed_in.error().code != ErrorCode::kPermissionDenied) return ErrorReply(signed_in.error());
    limiter_.Failed(address, now);
    return ErrorReply(401, "unauthorized", signed_in.error().message);
  }
  ApiReply reply{201, SessionJson(signed_in->session)};
  reply.headers.emplace_back("Set-Cookie", SessionCookieHeader(signed_in->cookie, kSessionSeconds));
  return reply;
}

void ApiServer::Serve(int fd, Via via, std::string peer) {
  FdStream stream(fd, std::chrono::seconds(options_.idle_timeout_seconds));
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    boost::system::error_code ec;
    parser.body_limit(std::max(options_.max_body_bytes, options_.max_archive_bytes));
    http::read_header(stream, buffer, parser, ec);
    if (!ec) {
      // A deploy's archive may be large; every other body is small JSON.
      std::string_view target = parser.get().target();
      bool upload = parser.get().method() == http::verb::post && target.starts_with("/api/v1/apps/") &&
                    target.substr(0, target.find('?')).ends_with("/builds");
      size_t limit = upload ? options_.max_archive_bytes : options_.max_body_bytes;
      if (parser.content_length() && *parser.content_length() > limit) {
        ec = http::error::body_limit;  // (answered without reading it; the connection then closes)
      } else {
        parser.body_limit(limit);
        http::read(stream, buffer, parser, ec);
      }
    }
    int early = 0;
    if (ec == http::error::end_of_stream || ec == boost::asio::error::eof || ec == boost::asio::error::timed_out ||
        ec == boost::asio::error::connection_reset) {
      return;
    } else if (ec == http::error::body_limit) {
      early = 413;
    } else if (ec == http::error::header_limit) {
      early = 431;
    } else if (ec) {
      early = 400;
    }
    ApiReply reply;
    bool keep_alive = false;
    bool head = false;  // HEAD: the answer's headers only
    unsigned version = 11;
    if (early) {
      std::string message = early == 413   ? fmt::format("the body is over {} bytes", options_.max_body_bytes)
                            : early == 431 ? fmt::format("the request's head is over {} bytes", kHeaderLimit)
                                           : fmt::format("not an HTTP request: {}", ec.message());
      reply = ErrorReply(early, ReasonId(early), message);
    } else {
      auto& req = parser.get();
      keep_alive = req.keep_alive();
      version = req.version();
      // Who is asking: the peer on the loopback port; on the proxy's socket,
      // the client the proxy names.
      std::string address = via == Via::kLoopback ? peer : ForwardedAddress(req["X-Forwarded-For"]);
      std::string target(req.target());
      ApiRequest request;
      request.method = std::string(req.method_string());
      head = request.method == "HEAD";
      auto q = target.find('?');
      request.path = target.substr(0, q);
      if (q != std::string::npos) request.query = ParseQuery(std::string_view(target).substr(q + 1));
      request.body = std::move(req.body());
      request.last_event_id = std::string(req["Last-Event-ID"].substr(0, 64));

      std::optional<Caller> caller;
      if (!request.path.starts_with("/api/")) {
        // The dashboard's page and files: public, like any sign-in page.
        if (request.method != "GET" && request.method != "HEAD") {
          reply = ErrorReply(405, "method_not_allowed", "the dashboard's files are only read (GET)");
        } else {
          reply = DashboardFile(request.path, req[http::field::accept_encoding].find("gzip") != std::string_view::npos);
        }
      } else if (request.path == "/api/v1/session") {
        reply = SessionRoute(request, req, address);
      } else {
        caller = Authenticate(req, address, reply);
      }
      if (caller && TerminalPath(request.path) && request.method == "GET") {
        // The dashboard's terminal: the connection becomes a WebSocket.
        if (!boost::beast::websocket::is_upgrade(req)) {
          reply = ErrorReply(400, "bad_request", "the terminal is a WebSocket (Upgrade: websocket)");
        } else {
          auto data = buffer.cdata();
          auto app = PercentDecode(request.path.substr(13, request.path.size() - 13 - 4), false);
          ServeTerminal(stream, std::string_view(static_cast<const char*>(data.data()), data.size()), services_,
                        *caller, app.value_or(""), request.query["command"], req["Sec-WebSocket-Key"]);
          return;
        }
      } else if (caller) {
        RouteMatch match = MatchRoute(ApiRoutes(), request.method, request.path);
        if (match.route) {
          ApiCall call{services_,         *caller, request, std::move(match.params), [fd] { return PeerGone(fd); },
                       builds_,           options_.max_archive_bytes};
          try {
            reply = match.route->handler(call);
          } catch (const std::exception& e) {
            LogError("API: {} {} failed: {}", request.method, request.path.substr(0, 200), e.what());
            reply = ErrorReply(500, "internal", "the server failed to answer this request; the log says why");
          }
        } else if (match.path_known) {
          reply = ErrorReply(405, "method_not_allowed",
                             fmt::format("{} is not allowed on {}", request.method.substr(0, 16),
                                         request.path.substr(0, 200)));
        } else {
          reply = ErrorReply(404, "not_found",
                             fmt::format("no API route {} {} (the README's API section lists them)",
                                         request.method.substr(0, 16), request.path.substr(0, 200)));
        }
      }
    }
    if (reply.stream) {
      if (!WriteStream(stream, reply, version) || !keep_alive || stopping_) return;
      continue;
    }
    http::response<http::string_body> res{static_cast<http::status>(reply.status), version};
    res.set(http::field::content_type, reply.text ? reply.content_type : "application/json");
    res.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : reply.headers) res.set(name, value);
    res.body() = reply.text ? std::move(*reply.text)
                            : reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    res.keep_alive(keep_alive && !stopping_);
    res.prepare_payload();
    if (head) {
      const size_t length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    http::write(stream, res, ec);
    if (ec || !res.keep_alive()) return;
  }
}

}  // namespace ms
