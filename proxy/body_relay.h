#pragma once
// Relaying one message body from one stream to another in a fixed buffer, as
// its framing (framing.h) says where it ends: a Content-Length, chunked
// (passed through byte for byte, trailers included) or until the source
// closes. Like Beast's http_relay example, it knows nothing of sockets: From
// and To are any Asio async read and write streams (tcp sockets in the proxy,
// in-memory streams in the tests). Runs on the streams' executor.

#include <array>
#include <cstdint>
#include <limits>
#include <string_view>

#include <boost/asio.hpp>

#include "proxy/buffer.h"
#include "proxy/stream_io.h"
#include "proxy/framing.h"

namespace ms::proxy {

enum class RelayEnd {
  kDone,        // the body ended (an until-close body: the source closed)
  kTruncated,   // the source closed or failed before the body's end
  kMalformed,   // a chunked body is not well formed (its valid bytes were sent)
  kTooLarge,    // more than max_bytes (none of the bytes over it were sent)
  kSinkFailed,  // a write to the destination failed
};

struct RelayResult {
  RelayEnd end = RelayEnd::kDone;
  uint64_t bytes = 0;  // body bytes taken from the source and given to the write
};

inline constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();

// Writes prefix (a head, or nothing) with the body bytes already at the front
// of buf in one write; then reads from `from` into buf and writes the body's
// bytes to `to` as they come, until the body ends. Bytes after the body stay
// in buf (the start of a pipelined request). before_read(bytes) is called
// before each read with the body bytes relayed so far (the caller's deadline). Failures are in the result, never thrown.
template <class From, class To, class BeforeRead>
boost::asio::awaitable<RelayResult> RelayBody(From& from, To& to, Buffer& buf, Framing& framing,
                                              std::string_view prefix, BeforeRead before_read,
                                              uint64_t max_bytes = kNoBodyLimit) {
  namespace asio = boost::asio;
  RelayResult r;
  size_t n = framing.Take(buf.data());
  while (true) {
    if (r.bytes + n > max_bytes) {
      r.end = RelayEnd::kTooLarge;
      co_return r;
    }
    r.bytes += n;
    if (n > 0 || !prefix.empty()) {
      std::array<asio::const_buffer, 2> out = {asio::buffer(prefix), asio::buffer(buf.data().data(), n)};
      auto [ec, written] = co_await StreamWrite(to, out);
      buf.Consume(n);
      prefix = {};
      if (ec) {
        r.end = RelayEnd::kSinkFailed;
        co_return r;
      }
    }
    if (framing.Failed() || framing.Done()) {
      r.end = framing.Failed() ? RelayEnd::kMalformed : RelayEnd::kDone;
      co_return r;
    }
    buf.Acquire();
    before_read(r.bytes);
    auto [ec, got] = co_await StreamRead(from, buf.Space());
    if (ec || got == 0) {
      r.end = framing.kind == Framing::kUntilClose ? RelayEnd::kDone : RelayEnd::kTruncated;
      co_return r;
    }
    buf.Commit(got);
    n = framing.Take(buf.data());
  }
}

}  // namespace ms::proxy
