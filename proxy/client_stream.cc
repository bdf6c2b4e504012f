#include "proxy/client_stream.h"

#include <openssl/err.h>


namespace ms::proxy {
namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

}  // namespace

ClientStream::~ClientStream() {
  if (ssl_) SSL_free(ssl_);
}

bool ClientStream::UseTls(std::shared_ptr<const TlsContexts> contexts) {
  if (!contexts || ssl_) return false;
  SSL* ssl = contexts->NewConnection();
  if (!ssl) return false;
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  if (ec || SSL_set_fd(ssl, socket_.native_handle()) != 1) {
    SSL_free(ssl);
    return false;
  }
  SSL_set_accept_state(ssl);
  ssl_ = ssl;
  contexts_ = std::move(contexts);
  return true;
}

asio::awaitable<bool> ClientStream::Retry(int r, boost::system::error_code& ec) {
  int error = SSL_get_error(ssl_, r);
  ERR_clear_error();
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    if (!socket_.is_open()) {
      ec = asio::error::operation_aborted;
      co_return false;
    }
    auto [wait_ec] = co_await socket_.async_wait(
        error == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write, kNoThrow);
    ec = wait_ec;
    co_return !ec;
  }
  if (error == SSL_ERROR_ZERO_RETURN) {
    ec = asio::error::eof;  // close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a close without one
  } else {
    ec = asio::error::connection_reset;  // a protocol error or a socket error
  }
  co_return false;
}

asio::awaitable<boost::system::error_code> ClientStream::Handshake() {
  boost::system::error_code ec;
  if (!ssl_) co_return ec;
  for (;;) {
    if (!socket_.is_open()) co_return asio::error::operation_aborted;
    ERR_clear_error();
    int r = SSL_do_handshake(ssl_);
    if (r == 1) co_return ec;
    if (!co_await Retry(r, ec)) co_return ec;
  }
}

asio::awaitable<ClientStream::Done> ClientStream::ReadSome(asio::mutable_buffer b) {
  if (!ssl_) return socket_.async_read_some(b, kNoThrow);
  return TlsReadSome(b);
}

asio::awaitable<ClientStream::Done> ClientStream::TlsReadSome(asio::mutable_buffer b) {
  boost::system::error_code ec;
  if (b.size() == 0) co_return Done{ec, 0};
  for (;;) {
    // (A socket the sweep closed: its descriptor's number may be another
    // connection's by now, so OpenSSL must not touch it.)
    if (!socket_.is_open()) co_return Done{asio::error::operation_aborted, 0};
    ERR_clear_error();
    size_t n = 0;
    int r = SSL_read_ex(ssl_, b.data(), b.size(), &n);
    if (r == 1) co_return Done{ec, n};
    if (!co_await Retry(r, ec)) co_return Done{ec, 0};
  }
}

asio::awaitable<ClientStream::Done> ClientStream::TlsWrite(std::string_view data) {
  boost::system::error_code ec;
  size_t written = 0;
  while (written < data.size()) {
    if (!socket_.is_open()) co_return Done{asio::error::operation_aborted, written};
    ERR_clear_error();
    size_t n = 0;
    int r = SSL_write_ex(ssl_, data.data() + written, data.size() - written, &n);
    if (r == 1) {
      written += n;
      continue;
    }
    if (!co_await Retry(r, ec)) co_return Done{ec, written};
  }
  co_return Done{ec, written};
}

void ClientStream::ShutdownTls() {
  if (!ssl_ || !socket_.is_open() || !SSL_is_init_finished(ssl_)) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // one try: close_notify goes if the socket takes it now
  ERR_clear_error();
}

}  // namespace ms::proxy
