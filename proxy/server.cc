#include "proxy/server.h"

#include <fstream>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>

#include "proxy/admin.h"
#include "proxy/body_relay.h"
#include "proxy/edge.h"
#include "proxy/error_page.h"
#include "proxy/exchange.h"
#include "proxy/head_rewrite.h"
#include "proxy/tunnel.h"
#include "server/contracts/proxy_probe.h"

namespace ms::proxy {
namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr int64_t kBufferedIdleLimit = 128;  // connections that wait with a buffer

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

// One request as the session serves it: what its answer, its metrics and its
// access-log line need.
struct Server::Request {
  RequestHead head;
  std::string app = "-";
  Clock::time_point start{};
  bool has_body = false;
  bool head_consumed = false;  // its bytes are no longer in the connection's buffer
};

Server::Server(asio::io_context& io, ProxyConfig config, std::shared_ptr<LoopShared> shared)
    : io_(io), config_(std::move(config)), acceptor_(io), https_acceptor_(io), admin_acceptor_(io),
      routes_(std::make_shared<RouteTable>()), upstreams_(io),
      shared_(shared ? std::move(shared) : std::make_shared<LoopShared>(config_)),
      alive_(std::make_shared<bool>(true)) {}

Server::~Server() { *alive_ = false; }

void Server::Start() {
  auto bind = [&](tcp::acceptor& a, const std::string& host, uint16_t port) {
    tcp::endpoint ep(asio::ip::make_address(host), port);
    a.open(ep.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(ep);
    a.listen(4096);
    return a.local_endpoint().port();
  };
  port_ = bind(acceptor_, config_.listen_host, config_.listen_port);
  if (config_.https_port) https_port_ = bind(https_acceptor_, config_.https_host, *config_.https_port);
  if (config_.admin) admin_port_ = bind(admin_acceptor_, config_.admin_host, config_.admin_port);
  asio::co_spawn(io_, Accept(acceptor_, 'h'), asio::detached);
  if (config_.https_port) asio::co_spawn(io_, Accept(https_acceptor_, 's'), asio::detached);
  if (config_.admin) asio::co_spawn(io_, AcceptAdmin(), asio::detached);
  StartCommon();
}

void Server::StartFromEdge(const std::string& socket_path, uint16_t public_port, uint16_t public_https_port) {
  port_ = public_port;
  // https only once the edge says it listens (kHttpsListening): until then
  // nothing redirects to it.
  edge_https_port_ = public_https_port;
  asio::co_spawn(io_, ReceiveFromEdge(socket_path), asio::detached);
  StartCommon();
}

void Server::StartAdopting(uint16_t public_port) {
  if (public_port) port_ = public_port;
  StartCommon(/*follower=*/true);
}

void Server::SetResolved(const std::string& key, const std::vector<tcp::endpoint>& addresses) {
  asio::post(io_, [this, key, addresses, alive = alive_]() mutable {
    if (*alive) upstreams_.SetAddresses(key, std::move(addresses));
  });
}

void Server::Adopt(int fd, char tag) {
  asio::post(io_, [this, fd, tag, alive = alive_] {
    if (*alive) {
      ServeDescriptor(fd, tag);
    } else {
      ::close(fd);
    }
  });
}

void Server::ServeDescriptor(int fd, char tag) {
  sockaddr_storage local{};
  socklen_t len = sizeof local;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
  tcp::socket socket(io_);
  boost::system::error_code ec;
  socket.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  Serve(std::move(socket), tag);
}

void Server::SetHttpsPort(uint16_t port) {
  asio::post(io_, [this, port, alive = alive_] {
    if (!*alive) return;
    https_port_ = port;
    https_port_text_ = std::to_string(port);
  });
}

void Server::StartCommon(bool follower) {
  port_text_ = std::to_string(port_);
  https_port_text_ = std::to_string(https_port_);
  // In a group of loops the first resolves the apps' names every second and
  // hands the answers to the others (SetResolved): one lookup per name, not
  // one per loop. A follower looks a name up itself only while it has no
  // address for it (a new app before the first loop's answer came).
  if (!follower || !shared_->resolved) {
    upstreams_.on_resolved = shared_->resolved;
    asio::co_spawn(io_, upstreams_.RefreshLoop(), asio::detached);
  }
  asio::co_spawn(io_, Sweep(), asio::detached);
  if (config_.access_log) asio::co_spawn(io_, FlushLogLoop(), asio::detached);
}

void Server::Drain() {
  draining_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  https_acceptor_.close(ec);
  admin_acceptor_.close(ec);
  if (edge_) {
    // The edge reads the end of this side, sends its next connections to a
    // newer worker (or holds them until one comes) and closes the link; until
    // then this worker serves what the edge sent (ReceiveFromEdge), so no
    // connection is lost between the two.
    ::shutdown(edge_->native_handle(), SHUT_WR);
  }
  // Each connection's next answer says "Connection: close" and the connection
  // closes after it, so a client never sees a kept connection vanish under a
  // request it sent; connections that stay idle go when the drain time is up.
}

asio::awaitable<void> Server::Sweep() {
  asio::steady_timer timer(io_);
  auto alive = alive_;
  while (*alive && !Drained()) {
    timer.expires_after(std::chrono::milliseconds(250));
    co_await timer.async_wait(kNoThrow);
    if (!*alive) break;
    auto now = Clock::now();
    for (Connection* c = conns_; c; c = c->next) {
      if (c->deadline <= now && c->client.is_open()) {
        c->timed_out = true;
        if (c->upstream_deadline) {
          c->CloseUpstream();
          c->deadline = Clock::time_point::max();  // the exchange sets the next
        } else {
          c->Close();
        }
      }
    }
  }
}

void Server::SetRoutes(RouteTable routes, std::shared_ptr<const TlsContexts> tls) {
  std::vector<std::pair<std::string, uint16_t>> names;
  for (const auto& r : routes.routes()) names.emplace_back(r->upstream_host, r->upstream_port);
  upstreams_.Follow(names);
  // A rollout's new tasks: named until a wall-clock time (the daemon's), kept
  // here on the steady clock.
  const auto wall_now = std::chrono::system_clock::now();
  for (const auto& r : routes.routes()) {
    auto until = std::chrono::system_clock::time_point(std::chrono::seconds(r->tasks_until));
    if (r->tasks.empty() || until <= wall_now) continue;
    std::vector<tcp::endpoint> addresses;
    for (const auto& t : r->tasks) {
      boost::system::error_code ec;
      auto address = asio::ip::make_address_v4(t, ec);
      if (!ec) addresses.emplace_back(address, r->upstream_port);
    }
    upstreams_.Announce(r->upstream, std::move(addresses),
                        Clock::now() + std::chrono::duration_cast<Clock::duration>(until - wall_now), r->tasks_until);
  }
  // The certificates are loaded again only when a file, its size or its time
  // changed: most routes changes (a deploy) leave them as they are.
  std::string files;
  for (const auto& cert : routes.certs()) {
    struct stat st {};
    ::stat(cert.file.c_str(), &st);
    files += cert.file + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec);
    files += " " + cert.version;
    for (const auto& host : cert.hosts) files += " " + host;
    files += "\n";
  }
  if (tls) {
    tls_ = std::move(tls);
  } else if (!tls_ || files != tls_files_) {
    std::vector<std::string> errors;
    tls_ = TlsContexts::Load(routes.certs(), config_.tls_secret, errors);
    tls_files_ = std::move(files);
    for (const auto& e : errors) std::fprintf(stderr, "mothership-proxy: https: %s\n", e.c_str());
  }
  routes_ = std::make_shared<const RouteTable>(std::move(routes));
}

asio::awaitable<void> Server::Accept(tcp::acceptor& acceptor, char tag) {
  while (!draining_) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || draining_) co_return;
      // Out of descriptors and the like: wait a little rather than spin.
      asio::steady_timer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    if (shared_->dispatch) {
      shared_->dispatch(socket.release(), tag);
    } else {
      Serve(std::move(socket), tag);
    }
  }
}

void Server::Serve(tcp::socket socket, char tag) {
  if (tag == 'm') {
    asio::co_spawn(io_, ServeAdmin(std::move(socket), MetricsText()), asio::detached);
    return;
  }
  boost::system::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  std::string ip = ec ? "" : peer.address().to_string();
  if (!shared_->caps.Open(ip)) {
    socket.close(ec);  // over the limit, or this address holds its share: refused at once
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  auto c = std::make_shared<Connection>(std::move(socket));
  metrics_.ConnectionOpened();
  c->next = conns_;
  if (conns_) conns_->prev = c.get();
  conns_ = c.get();
  c->client_ip = std::move(ip);
  asio::co_spawn(io_, Session(std::move(c), tag == 's', true), asio::detached);
}

asio::awaitable<void> Server::WarmUp() {
  // A worker that just joined the apps' networks may get no answer from the
  // engine's DNS for a moment: taking connections then would answer 503 for
  // apps that run. The edge keeps new connections for the older worker, or
  // holds them, meanwhile.
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  asio::steady_timer timer(io_);
  for (;;) {
    bool ready = true;
    auto routes = routes_;
    for (const auto& r : routes->routes()) {
      if (!r->running || upstreams_.HasAddress(r->upstream)) continue;
      co_await upstreams_.Resolve(r->upstream_host, r->upstream_port);
      ready = ready && upstreams_.HasAddress(r->upstream);
    }
    if (ready || Clock::now() > deadline || draining_) co_return;
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(kNoThrow);
  }
}

asio::awaitable<void> Server::ReceiveFromEdge(std::string socket_path) {
  co_await WarmUp();
  asio::steady_timer retry(io_);
  bool said = false;
  while (!draining_) {
    auto edge = std::make_unique<asio::local::stream_protocol::socket>(io_);
    auto [ec] = co_await edge->async_connect(asio::local::stream_protocol::endpoint(socket_path), kNoThrow);
    if (ec) {
      if (!said) std::fprintf(stderr, "mothership-proxy: waiting for the edge at %s\n", socket_path.c_str());
      said = true;
      retry.expires_after(std::chrono::milliseconds(100));
      co_await retry.async_wait(kNoThrow);
      continue;
    }
    std::fprintf(stderr, "mothership-proxy: taking connections from the edge at %s\n", socket_path.c_str());
    said = false;
    edge_ = std::move(edge);
    has_edge_ = true;
    if (!config_.ready_file.empty()) std::ofstream(config_.ready_file).put('\n');
    bool closed = false;
    while (!closed) {  // (draining too: see Drain)
      auto [wait_ec] = co_await edge_->async_wait(asio::socket_base::wait_read, kNoThrow);
      if (wait_ec) break;
      char tag;
      for (int fd; (fd = ReceiveDescriptor(edge_->native_handle(), tag, closed)) != -1;) {
        if (fd == kTagOnly) {
          if (tag == kHttpsListening && edge_https_port_ != 0) {
            https_port_ = edge_https_port_;
            https_port_text_ = std::to_string(https_port_);
            if (on_https_port_) on_https_port_(https_port_);
          }
          continue;
        }
        if (shared_->dispatch) {
          shared_->dispatch(fd, tag);
        } else {
          ServeDescriptor(fd, tag);
        }
      }
    }
    edge_.reset();
    has_edge_ = false;
    if (draining_) co_return;
  }
}

asio::awaitable<void> Server::Session(std::shared_ptr<Connection> c, bool tls, bool fresh) {
  // TLS: the handshake within the time a request's head has (a client that
  // stalls in it is cut like a slow head). With no certificate at all the
  // handshake still runs, so that the client hears why (unrecognized_name).
  bool ok = true;
  if (fresh && tls) {
    ok = tls_ && c->client.UseTls(tls_);
    if (ok) {
      c->SetDeadline(config_.header_timeout);
      ok = !co_await c->client.Handshake();
      metrics_.TlsHandshake(ok);
    }
  }

  // Between requests a connection waits with its read buffer while few are
  // open (a read then costs one system call); with many open it gives the
  // buffer back and is parked (Park): idle clients cost little memory.
  bool first = fresh;
  bool readable = !fresh;  // a parked connection's client has sent
  while (ok) {
    if (c->in.size() == 0 && !readable) {
      c->SetDeadline(first ? config_.header_timeout : config_.idle_timeout);
      c->idle = true;
      if (metrics_.open_connections() <= kBufferedIdleLimit) {
        c->in.Acquire();
        auto [read_ec, n] = co_await c->client.ReadSome(c->in.Space());
        c->idle = false;
        if (read_ec || n == 0) break;
        c->in.Commit(n);
      } else {
        c->in.Release();
        if (!c->client.HasPending()) {
          Park(std::move(c));
          co_return;
        }
        c->idle = false;
      }
    }
    first = false;
    readable = false;
    if (!co_await Handle(c)) break;
  }
  End(*c);
}

void Server::Park(std::shared_ptr<Connection> c) {
  // (A connection's TLS state, if any, stays in it; OpenSSL holds no bytes
  // for it: the caller checked.)
  tcp::socket& socket = c->client.socket();
  socket.async_wait(tcp::socket::wait_read, [this, c = std::move(c), alive = alive_](boost::system::error_code ec) mutable {
    if (!*alive) return;
    c->idle = false;
    if (ec) {  // closed by the sweep (idle too long) or a drain
      End(*c);
      return;
    }
    const bool tls = c->client.tls();
    asio::co_spawn(io_, Session(std::move(c), tls, false), asio::detached);
  });
}

void Server::End(Connection& c) {
  c.client.ShutdownTls();
  c.Close();
  if (c.prev) c.prev->next = c.next;
  if (c.next) c.next->prev = c.prev;
  if (conns_ == &c) conns_ = c.next;
  shared_->caps.Close(c.client_ip);
  metrics_.ConnectionClosed();
}

asio::awaitable<bool> Server::Handle(std::shared_ptr<Connection> c) {
  Request r;
  Parse parsed = co_await ReadRequestHead(*c, r.head);
  if (parsed == Parse::kIncomplete) co_return false;
  NewRequestId(c->request_id);
  if (parsed == Parse::kError) co_return co_await RefuseMalformed(*c, r);

  r.start = Clock::now();
  auto routes = routes_;  // this request's view, even if routes change meanwhile
  if (NormalizeHost(r.head.host) == contracts::kProbeHost) co_return co_await AnswerProbe(*c, r, *routes);
  // ACME's http-01 challenges, for any host, on http only (RFC 8555 8.3);
  // other tokens go to the app.
  constexpr std::string_view kAcmePath = "/.well-known/acme-challenge/";
  if (!c->client.tls() && r.head.target.starts_with(kAcmePath)) {
    if (const std::string* answer = routes->AcmeAnswer(r.head.target.substr(kAcmePath.size()))) {
      co_return co_await AnswerAcme(*c, r, *answer);
    }
  }
  const Route* route = routes->Find(r.head.host);
  if (route) r.app = route->app;
  const RequestHead& req = r.head;
  Framing body = Framing::For(req, req.chunked || (req.content_length && *req.content_length > 0));
  r.has_body = body.kind != Framing::kNone;
  if (auto id = req.Find("x-request-id"); id && GoodRequestId(*id)) c->request_id.assign(*id);
  if (!route) co_return co_await Answer(*c, r, 404);
  // http:redirect: to https when this host has a certificate.
  if (route->redirect_https && !c->client.tls() && https_port_ != 0 && tls_ &&
      tls_->Find(NormalizeHost(req.host))) {
    co_return co_await Redirect(*c, r);
  }
  if (!route->running) co_return co_await Answer(*c, r, 503);
  if (config_.max_body_bytes && req.content_length && *req.content_length > config_.max_body_bytes) {
    co_return co_await Answer(*c, r, 413);
  }

  std::string head;
  head.reserve(req.size + 256);
  AppendUpstreamHead(req,
                     c->client.tls() ? Forwarded{c->client_ip, https_port_text_, c->request_id, "https"}
                                     : Forwarded{c->client_ip, port_text_, c->request_id, "http"},
                     head);
  c->in.Consume(req.size);
  r.head_consumed = true;

  Buffer out;
  ResponseHead resp;
  Exchange exchange(*c, config_, upstreams_, metrics_, *route, r.app);
  auto result = co_await exchange.Run(req, head, body, out, resp);
  if (result.kind == ExchangeResult::kClose) co_return false;
  if (result.kind == ExchangeResult::kAnswer) co_return co_await Answer(*c, r, result.status);
  if (resp.status == 101) co_return co_await Upgrade(*c, r, resp, out, exchange.task_name());

  // The response: head rewritten, body streamed as it comes.
  Framing response_body = Framing::For(resp, ResponseHasBody(req.method, resp.status));
  bool close = ClientCloses(req, response_body, draining_);
  std::string response_head;
  response_head.reserve(resp.size + 64);
  AppendClientHead(req, resp, close, response_head,
                   c->client.tls() && route->redirect_https ? routes->hsts_max_age() : 0);
  out.Consume(resp.size);
  c->SetDeadline(config_.body_timeout);
  auto relayed = co_await RelayBody(c->upstream, c->client, out, response_body, response_head,
                                    [&c, this](uint64_t) { c->SetDeadline(config_.body_timeout); });
  bool client_ok =
      Finish(*c, r, resp, response_body, out, relayed.end == RelayEnd::kDone, relayed.bytes, exchange);
  co_return client_ok && !close;
}

asio::awaitable<Parse> Server::ReadRequestHead(Connection& c, RequestHead& req) {
  c.in.Acquire();
  c.SetDeadline(config_.header_timeout);
  Parse parsed;
  while ((parsed = ParseRequestHead(c.in.data(), config_.head, req)) == Parse::kIncomplete) {
    if (c.in.Full()) {
      req.error_status = 431;
      co_return Parse::kError;
    }
    auto [ec, n] = co_await c.client.ReadSome(c.in.Space());
    if (ec || n == 0) co_return Parse::kIncomplete;
    c.in.Commit(n);
  }
  co_return parsed;
}

asio::awaitable<bool> Server::RefuseMalformed(Connection& c, Request& r) {
  r.start = Clock::now();
  std::string page = ErrorPage(r.head.error_status, c.request_id, true);
  co_await c.client.Write(asio::buffer(page));
  Log(c, r, r.head.error_status, page.size(), "");
  metrics_.Request("-", r.head.error_status, 0);
  co_return false;
}

asio::awaitable<bool> Server::Answer(Connection& c, Request& r, int status, std::string_view routes_version) {
  // The body of a refused request is not read: the connection closes after.
  bool close = r.has_body || r.head.connection_close || draining_;
  std::string page = ErrorPage(status, c.request_id, close, routes_version);
  auto [ec, n] = co_await c.client.Write(asio::buffer(page));
  if (!r.head_consumed) c.in.Consume(r.head.size);
  r.head_consumed = true;
  metrics_.Request(r.app, status, SecondsSince(r.start));
  Log(c, r, status, page.size(), "");
  co_return !ec && !close;
}

asio::awaitable<bool> Server::Redirect(Connection& c, Request& r) {
  // The body of the request is not read: the connection closes after.
  bool close = r.has_body || r.head.connection_close || draining_;
  // The path and query of the target: an absolute-form one ("http://host/p")
  // loses its scheme and host, anything else not starting with '/' is "/".
  std::string_view path = r.head.target;
  if (auto scheme = path.find("://"); scheme != std::string_view::npos && !path.starts_with("/")) {
    auto slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  }
  if (!path.starts_with("/")) path = "/";
  std::string location = "https://" + NormalizeHost(r.head.host) +
                         (https_port_ == 443 ? std::string() : ":" + https_port_text_) + std::string(path);
  const int status = r.head.method == "GET" || r.head.method == "HEAD" ? 301 : 308;
  std::string page = RedirectAnswer(status, location, c.request_id, close, r.head.method == "HEAD");
  auto [ec, n] = co_await c.client.Write(asio::buffer(page));
  c.in.Consume(r.head.size);
  r.head_consumed = true;
  metrics_.Request(r.app, status, SecondsSince(r.start));
  Log(c, r, status, page.size(), "");
  co_return !ec && !close;
}

asio::awaitable<bool> Server::AnswerAcme(Connection& c, Request& r, const std::string& answer) {
  bool close = r.head.chunked || (r.head.content_length && *r.head.content_length > 0) || r.head.connection_close ||
               draining_;
  std::string page = TextAnswer(answer, c.request_id, close);
  auto [ec, n] = co_await c.client.Write(asio::buffer(page));
  c.in.Consume(r.head.size);
  r.head_consumed = true;
  r.app = "-";
  metrics_.Request(r.app, 200, SecondsSince(r.start));
  Log(c, r, 200, page.size(), "");
  co_return !ec && !close;
}

asio::awaitable<bool> Server::AnswerProbe(Connection& c, Request& r, const RouteTable& routes) {
  auto app = contracts::ParseRoutablePath(r.head.target);
  const Route* route = app ? routes.FindApp(*app) : nullptr;
  if (!route) co_return co_await Answer(c, r, 404, routes.version());
  if (route->running && upstreams_.Unresolved(route->upstream)) {
    co_await upstreams_.Resolve(route->upstream_host, route->upstream_port);
  }
  co_return co_await Answer(c, r, route->running && upstreams_.HasAddress(route->upstream) ? 200 : 503,
                            routes.version());
}

asio::awaitable<bool> Server::Upgrade(Connection& c, Request& r, const ResponseHead& resp, Buffer& out,
                                      const std::string& task) {
  if (!WantsUpgrade(r.head)) {
    c.CloseUpstream();
    co_return co_await Answer(c, r, 502);
  }
  std::string head;
  AppendUpgradeHead(resp, head);
  out.Consume(resp.size);
  std::array<asio::const_buffer, 2> first = {asio::buffer(head), asio::buffer(out.data())};
  auto [ec, n] = co_await c.client.Write(first);
  out.Consume(out.size());
  metrics_.Request(r.app, 101, SecondsSince(r.start));
  Log(c, r, 101, 0, task);
  if (ec) co_return false;
  co_await Tunnel(c.client, c.upstream, c.in, out, [&c] { c.SetDeadline(std::chrono::hours(1)); });
  co_return false;
}

bool Server::Finish(Connection& c, Request& r, const ResponseHead& resp, const Framing& body, const Buffer& out,
                    bool relayed_all, uint64_t bytes, const Exchange& exchange) {
  if (KeepsUpstream(r.head, resp, body, relayed_all, out.size(), draining_)) {
    upstreams_.PutIdle(exchange.peer(), std::move(c.upstream));
    c.upstream = UpstreamSocket(io_);
  } else {
    c.CloseUpstream();
  }
  metrics_.Request(r.app, relayed_all ? resp.status : 0, SecondsSince(r.start));
  Log(c, r, resp.status, bytes, exchange.task_name());
  return relayed_all;
}

void Server::Log(const Connection& c, const Request& r, int status, uint64_t bytes, std::string_view upstream) {
  if (!config_.access_log) return;
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - r.start).count();
  shared_->access_log.Add(AccessLogEntry{r.app, r.head.host, r.head.method, r.head.target, status, bytes, ms, c.client_ip,
                                 upstream, c.request_id});
}

asio::awaitable<void> Server::FlushLogLoop() {
  asio::steady_timer timer(io_);
  auto alive = alive_;
  while (*alive) {
    timer.expires_after(std::chrono::milliseconds(200));
    co_await timer.async_wait(kNoThrow);
    if (!*alive) break;
    shared_->access_log.Flush();
    if (draining_ && metrics_.open_connections() == 0) break;
  }
}

asio::awaitable<void> Server::AcceptAdmin() {
  while (!draining_) {
    auto [ec, socket] = co_await admin_acceptor_.async_accept(kNoThrow);
    if (ec) co_return;
    asio::co_spawn(io_, ServeAdmin(std::move(socket), MetricsText()), asio::detached);
  }
}

std::function<std::string()> Server::MetricsText() const {
  if (shared_->metrics_text) return shared_->metrics_text;
  return [this] { return metrics_.Render(); };
}

}  // namespace ms::proxy
