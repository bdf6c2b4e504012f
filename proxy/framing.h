#pragma once
// How the end of one message body is found as its bytes pass through: no
// body, a Content-Length, chunked (followed by ChunkedScanner, bytes left as
// they are) or until the connection closes (a response without either). Pure;
// one per body.

#include <cstdint>
#include <string_view>

#include "proxy/http_parser.h"

namespace ms::proxy {

struct Framing {
  enum Kind { kNone, kLength, kChunked, kUntilClose } kind = kNone;
  uint64_t remaining = 0;  // kLength: bytes still to come
  ChunkedScanner chunks;

  // The framing of the body after head; has_body false: none at all (a
  // request without Content-Length or chunked, a response to HEAD, a 204...).
  static Framing For(const MessageHead& head, bool has_body);

  // The body has ended (never for kUntilClose: its end is the source's close).
  bool Done() const {
    return kind == kNone || (kind == kLength && remaining == 0) || (kind == kChunked && chunks.done());
  }
  // A chunked body that is not well formed (nothing after it can be trusted).
  bool Failed() const { return kind == kChunked && chunks.failed(); }
  // How many bytes at the front of data belong to the body (fewer than all
  // only when it ends there or is malformed).
  size_t Take(std::string_view data);
};

}  // namespace ms::proxy
