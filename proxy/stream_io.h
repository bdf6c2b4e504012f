#pragma once
// A read and a whole write on any Asio stream, awaited, failures as values:
// what body_relay.h and tunnel.h call. A stream type with its own ways (the
// client's stream, client_stream.h) overloads these beside its class.

#include <boost/asio.hpp>

namespace ms::proxy {

template <class Stream>
auto StreamRead(Stream& s, boost::asio::mutable_buffer b) {
  return s.async_read_some(b, boost::asio::as_tuple(boost::asio::use_awaitable));
}

template <class Stream, class Buffers>
auto StreamWrite(Stream& s, const Buffers& buffers) {
  return boost::asio::async_write(s, buffers, boost::asio::as_tuple(boost::asio::use_awaitable));
}

}  // namespace ms::proxy
