#pragma once
// The tunnel of an upgraded connection (a WebSocket, say): once the task
// answered 101, bytes go both ways unchanged until either side closes or
// fails, which ends both directions. Templated on the streams like
// body_relay.h (tcp sockets in the proxy, in-memory streams in the tests).

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "proxy/buffer.h"
#include "proxy/stream_io.h"

namespace ms::proxy {

// Copies from `from` to `to` through buf (whose bytes go first) until a read
// or write fails; before_read() is called before each read.
template <class From, class To, class BeforeRead>
boost::asio::awaitable<void> Pump(From& from, To& to, Buffer& buf, BeforeRead before_read) {
  namespace asio = boost::asio;
  buf.Acquire();
  if (buf.size()) {
    auto [ec, n] = co_await StreamWrite(to, asio::buffer(buf.data()));
    if (ec) co_return;
    buf.Consume(buf.size());
  }
  while (true) {
    before_read();
    auto [ec, n] = co_await StreamRead(from, buf.Space());
    if (ec || n == 0) co_return;
    buf.Commit(n);
    auto [wec, m] = co_await StreamWrite(to, asio::buffer(buf.data()));
    if (wec) co_return;
    buf.Consume(m);
  }
}

// Relays a -> b (from_a first holds what a sent already) and b -> a (from_b
// likewise) until one direction ends; the other is then cancelled.
template <class A, class B, class BeforeRead>
boost::asio::awaitable<void> Tunnel(A& a, B& b, Buffer& from_a, Buffer& from_b, BeforeRead before_read) {
  using namespace boost::asio::experimental::awaitable_operators;
  co_await (Pump(a, b, from_a, before_read) || Pump(b, a, from_b, before_read));
}

}  // namespace ms::proxy
