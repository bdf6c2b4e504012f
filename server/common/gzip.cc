#include "server/common/gzip.h"

#include <fmt/format.h>
#include <zlib.h>

namespace ms {

Result<std::string> Gunzip(std::string_view data, size_t max_out) {
  z_stream z{};
  // 16 + MAX_WBITS: gzip framing only.
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return Failed("cannot start zlib");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  char buf[64 * 1024];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&z);
      return InvalidArgument(rc == Z_BUF_ERROR ? "the archive is cut short" : "the body is not a gzip archive (.tar.gz)");
    }
    size_t produced = sizeof buf - z.avail_out;
    if (produced > max_out - out.size()) {
      inflateEnd(&z);
      return InvalidArgument(fmt::format("the archive unpacks to more than {} MB", max_out >> 20));
    }
    out.append(buf, produced);
  }
  inflateEnd(&z);
  return out;
}

std::string Gzip(std::string_view data) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace ms
