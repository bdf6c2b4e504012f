#include "proxy/server.h"

#include <unistd.h>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cstring>
#include <cstdio>
#include <random>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "proxy/edge.h"

namespace ms::proxy {
namespace {

using namespace boost::asio::experimental::awaitable_operators;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kBufferSize = 16 * 1024;
constexpr int64_t kBufferedIdleLimit = 128;  // connections that wait with a buffer

// A fixed-size byte buffer taken from a free list while a connection is busy
// and given back while it idles, so idle connections hold no buffer.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() { Release(true); }

  void Acquire() {
    if (mem_) return;
    if (!Pool().empty()) {
      mem_ = std::move(Pool().back());
      Pool().pop_back();
    } else {
      mem_ = std::make_unique<char[]>(kBufferSize);
    }
    begin_ = end_ = 0;
  }
  // Gives the memory back when nothing is buffered (or always, when forced).
  void Release(bool force = false) {
    if (!mem_ || (!force && size() != 0)) return;
    if (Pool().size() < 4096) Pool().push_back(std::move(mem_));
    mem_.reset();
    begin_ = end_ = 0;
  }
  std::string_view data() const { return {mem_.get() + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  void Consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  // Room to read into (moves buffered bytes to the front first when needed).
  asio::mutable_buffer Space() {
    if (end_ == kBufferSize && begin_ > 0) {
      std::memmove(mem_.get(), mem_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return asio::buffer(mem_.get() + end_, kBufferSize - end_);
  }
  bool Full() const { return end_ - begin_ == kBufferSize; }
  void Commit(size_t n) { end_ += n; }

 private:
  static std::vector<std::unique_ptr<char[]>>& Pool() {
    static std::vector<std::unique_ptr<char[]>> pool;
    return pool;
  }
  std::unique_ptr<char[]> mem_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

// How a body's end is found.
struct Framing {
  enum Kind { kNone, kLength, kChunked, kUntilClose } kind = kNone;
  uint64_t remaining = 0;
  ChunkedScanner chunks;

  static Framing For(const MessageHead& head, bool has_body) {
    Framing f;
    if (!has_body) return f;
    if (head.chunked) {
      f.kind = kChunked;
    } else if (head.content_length) {
      f.kind = *head.content_length ? kLength : kNone;
      f.remaining = *head.content_length;
    } else {
      f.kind = kUntilClose;
    }
    return f;
  }
  bool Done() const { return kind == kNone || (kind == kLength && remaining == 0) || (kind == kChunked && chunks.done()); }
  bool Failed() const { return kind == kChunked && chunks.failed(); }
  // How many of these bytes belong to the body.
  size_t Take(std::string_view data) {
    switch (kind) {
      case kNone:
        return 0;
      case kLength: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(remaining, data.size()));
        remaining -= n;
        return n;
      }
      case kChunked:
        return chunks.Feed(data);
      case kUntilClose:
        return data.size();
    }
    return 0;
  }
};

const char* Reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

std::string ErrorPage(int status, const std::string& request_id, bool close) {
  std::string title = fmt::format("{} {}", status, Reason(status));
  std::string text = status == 404   ? "There is no app at this address."
                     : status == 503 ? "The app is not running right now. Try again in a few seconds."
                     : status >= 500 ? "The app did not answer properly."
                                     : "The request could not be read.";
  std::string body = fmt::format(
      "<!doctype html><html><head><title>{0}</title></head><body><h1>{0}</h1><p>{1}</p></body></html>\n", title, text);
  std::string out = fmt::format(
      "HTTP/1.1 {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "X-Request-Id: {}\r\n",
      title, body.size(), request_id);
  if (status == 503) out += "Retry-After: 5\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

bool IsHopByHop(std::string_view name, const MessageHead& head) {
  static const std::array<std::string_view, 7> kHop = {"connection", "keep-alive", "proxy-connection", "te",
                                                       "trailer",    "upgrade",    "http2-settings"};
  for (auto h : kHop) {
    if (EqualsIgnoreCase(name, h)) return true;
  }
  for (auto token : head.connection_tokens) {
    if (EqualsIgnoreCase(name, token) && !EqualsIgnoreCase(name, "transfer-encoding") &&
        !EqualsIgnoreCase(name, "content-length")) {
      return true;
    }
  }
  return false;
}

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" || method == "DELETE" ||
         method == "TRACE";
}

// A client's X-Request-Id is kept when it is short and plain; else one is made.
bool GoodRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

std::string NewRequestId() {
  static std::mt19937_64 rng(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i) id[static_cast<size_t>(half * 16 + i)] = kHex[(v >> (60 - 4 * i)) & 0xf];
  }
  return id;
}

void JsonEscapeTo(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
}

}  // namespace

// Deadlines are whole seconds; the sweep that enforces them four times a
// second also keeps this clock, so setting one costs no clock read.
Clock::time_point coarse_now = Clock::now();

// One client connection. Server::Sweep closes its sockets once its deadline
// has passed, which ends whatever read or write waits on them: no timer per
// connection.
struct Server::Conn {
  explicit Conn(tcp::socket s) : client(std::move(s)), upstream(client.get_executor()) {}
  tcp::socket client;
  tcp::socket upstream;
  Clock::time_point deadline = Clock::time_point::max();
  bool timed_out = false;
  bool idle = false;  // between requests (Drain closes it)
  Conn* prev = nullptr;  // the server's list of connections
  Conn* next = nullptr;
  std::string client_ip;
  std::string request_id;
  Buffer in;

  void SetDeadline(Clock::duration d) { deadline = coarse_now + d; }
  void Close() {
    boost::system::error_code ec;
    client.close(ec);
    upstream.close(ec);
  }
};

Server::Server(asio::io_context& io, ProxyConfig config)
    : io_(io), config_(std::move(config)), acceptor_(io), admin_acceptor_(io), routes_(std::make_shared<RouteTable>()),
      upstreams_(io), alive_(std::make_shared<bool>(true)) {}

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
  if (config_.admin) admin_port_ = bind(admin_acceptor_, config_.admin_host, config_.admin_port);
  asio::co_spawn(io_, Accept(), asio::detached);
  if (config_.admin) asio::co_spawn(io_, AcceptAdmin(), asio::detached);
  StartCommon();
}

void Server::StartFromEdge(const std::string& socket_path, uint16_t public_port) {
  port_ = public_port;
  asio::co_spawn(io_, ReceiveFromEdge(socket_path), asio::detached);
  StartCommon();
}

void Server::StartCommon() {
  port_text_ = std::to_string(port_);
  asio::co_spawn(io_, upstreams_.RefreshLoop(), asio::detached);
  asio::co_spawn(io_, Sweep(), asio::detached);
  if (config_.access_log) asio::co_spawn(io_, FlushLogLoop(), asio::detached);
}

void Server::Drain() {
  draining_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  admin_acceptor_.close(ec);
  if (edge_) {
    // Connections the edge already sent are served; then the edge sends the
    // next ones to the newer worker.
    char tag;
    bool closed = false;
    for (int fd; (fd = ReceiveDescriptor(edge_->native_handle(), tag, closed)) >= 0;) {
      tcp::socket s(io_);
      s.assign(tcp::v4(), fd, ec);
      if (!ec) Serve(std::move(s), tag == 'm');
    }
    edge_->close(ec);
  }
  // Each connection's next answer says "Connection: close" and the connection
  // closes after it, so a client never sees a kept connection vanish under a
  // request it sent; connections that stay idle go when the drain time is up.
}

asio::awaitable<void> Server::Sweep() {
  asio::steady_timer timer(io_);
  auto alive = alive_;
  while (*alive && !(draining_ && !conns_)) {
    timer.expires_after(std::chrono::milliseconds(250));
    co_await timer.async_wait(kNoThrow);
    if (!*alive) break;
    auto now = coarse_now = Clock::now();
    for (Conn* c = conns_; c; c = c->next) {
      if (c->deadline <= now && c->client.is_open()) {
        c->timed_out = true;
        c->Close();
      }
    }
  }
}

void Server::SetRoutes(RouteTable routes) {
  std::vector<std::pair<std::string, uint16_t>> names;
  for (const auto& r : routes.routes()) names.emplace_back(r->upstream_host, r->upstream_port);
  upstreams_.Follow(names);
  routes_ = std::make_shared<const RouteTable>(std::move(routes));
}

asio::awaitable<void> Server::Accept() {
  while (!draining_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || draining_) co_return;
      // Out of descriptors and the like: wait a little rather than spin.
      asio::steady_timer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    Serve(std::move(socket), false);
  }
}

void Server::Serve(tcp::socket socket, bool admin) {
  if (admin) {
    asio::co_spawn(io_, AdminSession(std::move(socket)), asio::detached);
    return;
  }
  if (static_cast<size_t>(metrics_.open_connections()) >= config_.max_connections) {
    boost::system::error_code ignored;
    socket.close(ignored);  // over the limit: refused at once
    return;
  }
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  asio::co_spawn(io_, Session(std::move(socket)), asio::detached);
}

asio::awaitable<void> Server::ReceiveFromEdge(std::string socket_path) {
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
    bool closed = false;
    while (!closed && !draining_) {
      auto [wait_ec] = co_await edge_->async_wait(asio::socket_base::wait_read, kNoThrow);
      if (wait_ec || draining_) break;
      char tag;
      for (int fd; (fd = ReceiveDescriptor(edge_->native_handle(), tag, closed)) >= 0;) {
        tcp::socket s(io_);
        boost::system::error_code aec;
        s.assign(tcp::v4(), fd, aec);
        if (aec) {
          ::close(fd);
          continue;
        }
        Serve(std::move(s), tag == 'm');
      }
    }
    if (draining_) co_return;
    edge_.reset();
  }
}

asio::awaitable<void> Server::Session(tcp::socket socket) {
  auto c = std::make_shared<Conn>(std::move(socket));
  metrics_.ConnectionOpened();
  c->next = conns_;
  if (conns_) conns_->prev = c.get();
  conns_ = c.get();
  boost::system::error_code ec;
  auto peer = c->client.remote_endpoint(ec);
  c->client_ip = ec ? "" : peer.address().to_string();

  // Between requests a connection waits with its read buffer while few are
  // open (a read then costs one system call); with many open it gives the
  // buffer back and only waits to be readable, so idle clients cost little
  // memory.
  bool first = true;
  while (true) {
    if (c->in.size() == 0) {
      c->SetDeadline(first ? config_.header_timeout : config_.idle_timeout);
      c->idle = true;
      if (metrics_.open_connections() <= kBufferedIdleLimit) {
        c->in.Acquire();
        auto [read_ec, n] = co_await c->client.async_read_some(c->in.Space(), kNoThrow);
        c->idle = false;
        if (read_ec || n == 0) break;
        c->in.Commit(n);
      } else {
        c->in.Release();
        auto [wait_ec] = co_await c->client.async_wait(tcp::socket::wait_read, kNoThrow);
        c->idle = false;
        if (wait_ec) break;
      }
    }
    first = false;
    if (!co_await Handle(c)) break;
  }
  c->Close();
  if (c->prev) c->prev->next = c->next;
  if (c->next) c->next->prev = c->prev;
  if (conns_ == c.get()) conns_ = c->next;
  metrics_.ConnectionClosed();
}

asio::awaitable<bool> Server::Handle(std::shared_ptr<Conn> c) {
  // The head.
  c->in.Acquire();
  c->SetDeadline(config_.header_timeout);
  RequestHead req;
  Parse parsed;
  while ((parsed = ParseRequestHead(c->in.data(), config_.head, req)) == Parse::kIncomplete) {
    if (c->in.Full()) {
      parsed = Parse::kError;
      req.error_status = 431;
      break;
    }
    auto [read_ec, n] = co_await c->client.async_read_some(c->in.Space(), kNoThrow);
    if (read_ec || n == 0) co_return false;
    c->in.Commit(n);
  }
  c->request_id = NewRequestId();
  if (parsed == Parse::kError) {
    auto start = Clock::now();
    std::string page = ErrorPage(req.error_status, c->request_id, true);
    co_await asio::async_write(c->client, asio::buffer(page), kNoThrow);
    Log(*c, req, "-", req.error_status, page.size(), start, "");
    metrics_.Request("-", req.error_status, 0);
    co_return false;
  }

  auto start = Clock::now();
  auto routes = routes_;  // this request's view, even if routes change meanwhile
  const Route* route = routes->Find(req.host);
  std::string app = route ? route->app : "-";
  Framing body = Framing::For(req, req.chunked || (req.content_length && *req.content_length > 0));
  bool has_body = body.kind != Framing::kNone;

  if (auto id = req.Find("x-request-id"); id && GoodRequestId(*id)) c->request_id = std::string(*id);

  bool head_consumed = false;
  auto answer = [&](int status) -> asio::awaitable<bool> {
    // The body of a refused request is not read: the connection closes after.
    bool close = has_body || req.connection_close || draining_;
    std::string page = ErrorPage(status, c->request_id, close);
    auto [ec, n] = co_await asio::async_write(c->client, asio::buffer(page), kNoThrow);
    if (!head_consumed) c->in.Consume(req.size);
    head_consumed = true;
    metrics_.Request(app, status, std::chrono::duration<double>(Clock::now() - start).count());
    Log(*c, req, app, status, page.size(), start, "");
    co_return !ec && !close;
  };
  if (!route) co_return co_await answer(404);
  if (!route->running) co_return co_await answer(503);
  if (config_.max_body_bytes && req.content_length && *req.content_length > config_.max_body_bytes) {
    co_return co_await answer(413);
  }

  // The head sent to the task.
  bool upgrade = req.connection_upgrade && !req.upgrade.empty();
  std::string head;
  head.reserve(req.size + 256);
  head.append(req.method).append(" ").append(req.target).append(req.minor_version ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  for (const auto& h : req.headers) {
    if (IsHopByHop(h.name, req) || EqualsIgnoreCase(h.name, "expect") || EqualsIgnoreCase(h.name, "x-request-id") ||
        EqualsIgnoreCase(h.name, "x-forwarded-for") || EqualsIgnoreCase(h.name, "x-forwarded-proto") ||
        EqualsIgnoreCase(h.name, "x-forwarded-host") || EqualsIgnoreCase(h.name, "x-forwarded-port")) {
      continue;
    }
    head.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  head.append("X-Forwarded-For: ").append(c->client_ip).append("\r\n");
  head.append("X-Forwarded-Proto: http\r\n");
  head.append("X-Forwarded-Host: ").append(req.host).append("\r\n");
  head.append("X-Forwarded-Port: ").append(port_text_).append("\r\n");
  head.append("X-Request-Id: ").append(c->request_id).append("\r\n");
  if (upgrade) head.append("Connection: upgrade\r\nUpgrade: ").append(req.upgrade).append("\r\n");
  head.append("\r\n");
  c->in.Consume(req.size);
  head_consumed = true;

  // Only a request without a body can be sent again: its bytes are all here.
  bool can_retry = !has_body && IsIdempotent(req.method);
  std::optional<tcp::endpoint> tried;
  Buffer out;
  ResponseHead resp;
  std::string upstream_name;
  bool reused = false;
  for (int attempt = 0;; ++attempt) {
    if (upstreams_.Unresolved(route->upstream)) {
      co_await upstreams_.Resolve(route->upstream_host, route->upstream_port);
    }
    auto address = upstreams_.Pick(route->upstream, tried);
    if (!address) co_return co_await answer(503);
    tried = address;
    if (config_.access_log) upstream_name = address->address().to_string() + ":" + std::to_string(address->port());
    c->upstream = upstreams_.TakeIdle(*address);
    reused = c->upstream.is_open();
    if (!reused) {
      c->SetDeadline(config_.connect_timeout);
      auto [ec] = co_await c->upstream.async_connect(*address, kNoThrow);
      if (ec) {
        // Nothing was sent: any request may go to another task.
        metrics_.UpstreamError(app);
        upstreams_.Eject(route->upstream, *address);
        boost::system::error_code ignored;
        c->upstream.close(ignored);
        if (!c->client.is_open()) co_return false;
        if (attempt == 0) continue;
        co_return co_await answer(c->timed_out ? 504 : 502);
      }
      c->upstream.set_option(tcp::no_delay(true));
    }
    c->SetDeadline(config_.body_timeout);
    // The head, with the body bytes already read, in one write.
    size_t first_body = body.Take(c->in.data());
    if (body.Failed()) {
      boost::system::error_code ignored;
      c->upstream.close(ignored);
      co_return co_await answer(400);
    }
    std::array<asio::const_buffer, 2> first_write = {asio::buffer(head), asio::buffer(c->in.data().data(), first_body)};
    auto [write_ec, written] = co_await asio::async_write(c->upstream, first_write, kNoThrow);
    if (write_ec) {
      metrics_.UpstreamError(app);
      boost::system::error_code ignored;
      c->upstream.close(ignored);
      if (reused && can_retry && attempt == 0 && c->client.is_open()) continue;
      co_return co_await answer(502);
    }
    c->in.Consume(first_body);
    if (req.expect_continue && !body.Done()) {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [ec, n] = co_await asio::async_write(c->client, asio::buffer(kContinue, sizeof(kContinue) - 1), kNoThrow);
      if (ec) co_return false;
    }
    // The rest of the request body, as it comes.
    uint64_t sent = first_body;
    while (!body.Done()) {
      if (c->in.size() == 0) {
        c->in.Acquire();
        c->SetDeadline(config_.body_timeout);
        auto [ec, n] = co_await c->client.async_read_some(c->in.Space(), kNoThrow);
        if (ec || n == 0) co_return false;  // the client went away mid-body
        c->in.Commit(n);
      }
      size_t n = body.Take(c->in.data());
      if (body.Failed()) co_return co_await answer(400);
      sent += n;
      if (config_.max_body_bytes && sent > config_.max_body_bytes) co_return co_await answer(413);
      auto [ec, m] = co_await asio::async_write(c->upstream, asio::buffer(c->in.data().data(), n), kNoThrow);
      if (ec) {
        metrics_.UpstreamError(app);
        co_return co_await answer(502);
      }
      c->in.Consume(n);
    }

    // The response head (1xx other than 101 are dropped: 100 was answered here).
    out.Acquire();
    c->SetDeadline(config_.response_timeout);
    Parse parsed = Parse::kIncomplete;
    bool got_bytes = false;
    while (true) {
      parsed = ParseResponseHead(out.data(), config_.head, resp);
      if (parsed == Parse::kDone && resp.status >= 100 && resp.status < 200 && resp.status != 101) {
        out.Consume(resp.size);
        continue;
      }
      if (parsed != Parse::kIncomplete) break;
      if (out.Full()) {
        parsed = Parse::kError;
        break;
      }
      auto [ec, n] = co_await c->upstream.async_read_some(out.Space(), kNoThrow);
      if (ec || n == 0) break;
      got_bytes = true;
      out.Commit(n);
    }
    if (parsed == Parse::kDone) break;
    // No usable response.
    metrics_.UpstreamError(app);
    boost::system::error_code ignored;
    c->upstream.close(ignored);
    if (!c->client.is_open() && !c->timed_out) co_return false;
    if (parsed == Parse::kIncomplete && !got_bytes && can_retry && attempt == 0 && !c->timed_out) {
      // A kept connection the task had closed, or a task that stopped: an
      // idempotent request without a body goes to another task once.
      if (!reused) upstreams_.Eject(route->upstream, *tried);
      out.Release(true);
      continue;
    }
    co_return co_await answer(c->timed_out ? 504 : 502);
  }

  // WebSocket and other upgrades: a tunnel both ways until one side closes.
  if (resp.status == 101) {
    if (!upgrade) {
      boost::system::error_code ignored;
      c->upstream.close(ignored);
      co_return co_await answer(502);
    }
    std::string head101 = fmt::format("HTTP/1.1 101 {}\r\n", resp.reason);
    for (const auto& h : resp.headers) {
      if (IsHopByHop(h.name, resp)) continue;
      head101.append(h.name).append(": ").append(h.value).append("\r\n");
    }
    head101.append("Connection: upgrade\r\n");
    if (auto up = resp.Find("upgrade")) head101.append("Upgrade: ").append(*up).append("\r\n");
    head101.append("\r\n");
    out.Consume(resp.size);
    std::array<asio::const_buffer, 2> first = {asio::buffer(head101), asio::buffer(out.data())};
    auto [ec, n] = co_await asio::async_write(c->client, first, kNoThrow);
    out.Consume(out.size());
    metrics_.Request(app, 101, std::chrono::duration<double>(Clock::now() - start).count());
    Log(*c, req, app, 101, 0, start, upstream_name);
    if (ec) co_return false;
    auto pump = [](std::shared_ptr<Conn> c, tcp::socket& from, tcp::socket& to, Buffer& buf) -> asio::awaitable<void> {
      buf.Acquire();
      if (buf.size()) {
        auto [ec, n] = co_await asio::async_write(to, asio::buffer(buf.data()), kNoThrow);
        if (ec) co_return;
        buf.Consume(buf.size());
      }
      while (true) {
        c->SetDeadline(std::chrono::hours(1));
        auto [ec, n] = co_await from.async_read_some(buf.Space(), kNoThrow);
        if (ec || n == 0) co_return;
        buf.Commit(n);
        auto [wec, m] = co_await asio::async_write(to, asio::buffer(buf.data()), kNoThrow);
        if (wec) co_return;
        buf.Consume(m);
      }
    };
    co_await (pump(c, c->client, c->upstream, c->in) || pump(c, c->upstream, c->client, out));
    co_return false;
  }

  // The response: head rewritten, body streamed as it comes.
  Framing rbody = Framing::For(resp, ResponseHasBody(req.method, resp.status));
  bool client_close = req.connection_close || rbody.kind == Framing::kUntilClose || draining_ ||
                      (rbody.kind == Framing::kChunked && req.minor_version == 0);
  std::string rhead;
  rhead.reserve(resp.size + 64);
  rhead.append(req.minor_version ? "HTTP/1.1 " : "HTTP/1.0 ")
      .append(std::to_string(resp.status))
      .append(" ")
      .append(resp.reason)
      .append("\r\n");
  for (const auto& h : resp.headers) {
    if (IsHopByHop(h.name, resp)) continue;
    rhead.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (client_close) {
    rhead.append("Connection: close\r\n");
  } else if (req.minor_version == 0) {
    rhead.append("Connection: keep-alive\r\n");
  }
  rhead.append("\r\n");
  out.Consume(resp.size);
  size_t first_body = rbody.Take(out.data());
  std::array<asio::const_buffer, 2> first = {asio::buffer(rhead), asio::buffer(out.data().data(), first_body)};
  c->SetDeadline(config_.body_timeout);
  auto [ec, n] = co_await asio::async_write(c->client, first, kNoThrow);
  uint64_t bytes = first_body;
  out.Consume(first_body);
  bool upstream_ok = !ec;
  bool client_ok = !ec;
  while (client_ok && upstream_ok && !rbody.Done() && !rbody.Failed()) {
    c->SetDeadline(config_.body_timeout);
    auto [rec, got] = co_await c->upstream.async_read_some(out.Space(), kNoThrow);
    if (rec || got == 0) {
      // The end of a close-delimited body, or a task that died mid-answer.
      upstream_ok = false;
      if (rbody.kind != Framing::kUntilClose) client_ok = false;
      break;
    }
    out.Commit(got);
    size_t take = rbody.Take(out.data());
    auto [wec, m] = co_await asio::async_write(c->client, asio::buffer(out.data().data(), take), kNoThrow);
    out.Consume(take);
    bytes += take;
    if (wec) client_ok = false;
  }
  if (rbody.Failed()) client_ok = upstream_ok = false;
  // The task's connection is kept when its answer ended cleanly.
  bool keep_upstream = upstream_ok && client_ok && rbody.Done() && out.size() == 0 && !resp.connection_close &&
                       req.minor_version == 1 && !draining_;
  if (keep_upstream) {
    upstreams_.PutIdle(*tried, std::move(c->upstream));
    c->upstream = tcp::socket(io_);
  } else {
    boost::system::error_code ignored;
    c->upstream.close(ignored);
  }
  metrics_.Request(app, client_ok ? resp.status : 0, std::chrono::duration<double>(Clock::now() - start).count());
  Log(*c, req, app, resp.status, bytes, start, upstream_name);
  co_return client_ok && !client_close;
}

void Server::Log(const Conn& c, const RequestHead& req, const std::string& app, int status, uint64_t bytes,
                 Clock::time_point start, const std::string& upstream) {
  if (!config_.access_log) return;
  auto second = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (second != log_second_) {
    log_second_ = second;
    log_time_ = fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", second);
  }
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  log_buffer_ += "{\"time\":\"";
  log_buffer_ += log_time_;
  log_buffer_ += "\",\"app\":\"";
  JsonEscapeTo(log_buffer_, app);
  log_buffer_ += "\",\"host\":\"";
  JsonEscapeTo(log_buffer_, req.host);
  log_buffer_ += "\",\"method\":\"";
  JsonEscapeTo(log_buffer_, req.method);
  log_buffer_ += "\",\"path\":\"";
  JsonEscapeTo(log_buffer_, req.target.substr(0, 512));
  log_buffer_ += fmt::format("\",\"status\":{},\"bytes\":{},\"duration_ms\":{:.2f},\"client\":\"{}\",\"upstream\":\"{}\",\"request_id\":\"{}\"}}\n",
                             status, bytes, ms, c.client_ip, upstream, c.request_id);
  if (log_buffer_.size() > 64 * 1024) {
    std::fwrite(log_buffer_.data(), 1, log_buffer_.size(), stdout);
    std::fflush(stdout);
    log_buffer_.clear();
  }
}

asio::awaitable<void> Server::FlushLogLoop() {
  asio::steady_timer timer(io_);
  auto alive = alive_;
  while (*alive) {
    timer.expires_after(std::chrono::milliseconds(200));
    co_await timer.async_wait(kNoThrow);
    if (!*alive) break;
    if (!log_buffer_.empty()) {
      std::fwrite(log_buffer_.data(), 1, log_buffer_.size(), stdout);
      std::fflush(stdout);
      log_buffer_.clear();
    }
    if (draining_ && metrics_.open_connections() == 0) break;
  }
}

asio::awaitable<void> Server::AcceptAdmin() {
  while (!draining_) {
    auto [ec, socket] = co_await admin_acceptor_.async_accept(kNoThrow);
    if (ec) co_return;
    asio::co_spawn(io_, AdminSession(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Server::AdminSession(tcp::socket socket) {
  std::string data;
  char chunk[4096];
  RequestHead req;
  asio::steady_timer timer(io_, std::chrono::seconds(5));
  timer.async_wait([&socket](boost::system::error_code ec) {
    if (!ec) socket.close(ec);
  });
  while (true) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), kNoThrow);
    if (ec || n == 0) co_return;
    data.append(chunk, n);
    auto parsed = ParseRequestHead(data, HeadLimits{}, req);
    if (parsed == Parse::kIncomplete) continue;
    std::string body, status = "200 OK", type = "text/plain; version=0.0.4";
    if (parsed == Parse::kError) {
      status = "400 Bad Request";
    } else if (req.target == "/metrics") {
      body = metrics_.Render();
    } else if (req.target == "/healthz") {
      body = "ok\n";
    } else {
      status = "404 Not Found";
      body = "GET /metrics or /healthz\n";
    }
    std::string response = fmt::format("HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                                       status, type, body.size(), body);
    co_await asio::async_write(socket, asio::buffer(response), kNoThrow);
    timer.cancel();
    co_return;
  }
}

}  // namespace ms::proxy
