#include "proxy/framing.h"

#include <algorithm>

namespace ms::proxy {

Framing Framing::For(const MessageHead& head, bool has_body) {
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

size_t Framing::Take(std::string_view data) {
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

}  // namespace ms::proxy
