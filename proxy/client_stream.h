#pragma once
// A client's connection to the proxy: a plain TCP socket (the http port), or
// TLS over one (the https port). The session reads and writes through this
// either way; the plain path is the socket's own operation, with no extra
// step. TLS runs OpenSSL directly on the non-blocking socket (no buffers of
// our own: OpenSSL's are released while a connection is idle), waiting for
// the socket when OpenSSL wants to read or write. A read and a write may wait
// at once (a tunnel), as they may on a socket. Used on the proxy's one thread.

#include <openssl/ssl.h>

#include <iterator>
#include <memory>
#include <string_view>
#include <tuple>

#include <boost/asio.hpp>

#include "proxy/buffer.h"
#include "proxy/tls.h"

namespace ms::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;

class ClientStream {
 public:
  using Done = std::tuple<boost::system::error_code, size_t>;
  using executor_type = tcp::socket::executor_type;

  explicit ClientStream(tcp::socket socket) : socket_(std::move(socket)) {}
  ~ClientStream();
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // Makes this a TLS connection with the given certificates; false when
  // OpenSSL cannot (the connection is then to be closed). The handshake is
  // Handshake's.
  bool UseTls(std::shared_ptr<const TlsContexts> contexts);
  bool tls() const { return ssl_ != nullptr; }
  // Runs the TLS handshake; an error when it fails or the socket closes
  // meanwhile (the connection's deadline).
  asio::awaitable<boost::system::error_code> Handshake();

  // Sends close_notify if the socket takes it at once (the connection is
  // about to close; a client reading until the end then knows it is the end).
  void ShutdownTls();

  tcp::socket& socket() { return socket_; }
  executor_type get_executor() { return socket_.get_executor(); }
  bool is_open() const { return socket_.is_open(); }
  void Close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  // Some bytes into b: (error, count); eof when the client closed.
  asio::awaitable<Done> ReadSome(asio::mutable_buffer b);
  // All of the buffers (a sequence of asio::const_buffer; copied, not the
  // bytes they point to).
  template <class Buffers>
  asio::awaitable<Done> Write(Buffers buffers) {
    if (!ssl_) return asio::async_write(socket_, buffers, asio::as_tuple(asio::use_awaitable));
    return TlsWriteAll(std::move(buffers));
  }
  // Whether OpenSSL holds bytes it read already (they would never make the
  // socket readable again).
  bool HasPending() const { return ssl_ && SSL_has_pending(ssl_); }

 private:
  asio::awaitable<Done> TlsReadSome(asio::mutable_buffer b);
  asio::awaitable<Done> TlsWrite(std::string_view data);
  template <class Buffers>
  asio::awaitable<Done> TlsWriteAll(Buffers buffers);
  // After an OpenSSL call that returned r: waits as OpenSSL wants, or says why
  // it cannot go on. false + ec: stop.
  asio::awaitable<bool> Retry(int r, boost::system::error_code& ec);

  tcp::socket socket_;
  SSL* ssl_ = nullptr;
  std::shared_ptr<const TlsContexts> contexts_;  // the SSL's callbacks use them
};

template <class Buffers>
asio::awaitable<ClientStream::Done> ClientStream::TlsWriteAll(Buffers buffers) {
  // One TLS record for a head and the start of a body when they fit, rather
  // than one for each.
  size_t total = asio::buffer_size(buffers);
  if (total <= Buffer::kSize && asio::buffer_sequence_begin(buffers) != asio::buffer_sequence_end(buffers) &&
      std::next(asio::buffer_sequence_begin(buffers)) != asio::buffer_sequence_end(buffers)) {
    Buffer gathered;  // (a pooled one, this write's until it is done)
    gathered.Acquire();
    gathered.Commit(asio::buffer_copy(gathered.Space(), buffers));
    co_return co_await TlsWrite(gathered.data());
  }
  size_t written = 0;
  for (auto it = asio::buffer_sequence_begin(buffers); it != asio::buffer_sequence_end(buffers); ++it) {
    asio::const_buffer b = *it;
    auto [ec, n] = co_await TlsWrite(std::string_view(static_cast<const char*>(b.data()), b.size()));
    written += n;
    if (ec) co_return Done{ec, written};
  }
  co_return Done{boost::system::error_code{}, written};
}

// For body_relay.h and tunnel.h, which take any stream: these are the client
// stream's reads and writes.
inline asio::awaitable<ClientStream::Done> StreamRead(ClientStream& s, asio::mutable_buffer b) {
  return s.ReadSome(b);
}
template <class Buffers>
asio::awaitable<ClientStream::Done> StreamWrite(ClientStream& s, const Buffers& buffers) {
  return s.Write(buffers);  // (Write copies the buffer sequence)
}

}  // namespace ms::proxy
