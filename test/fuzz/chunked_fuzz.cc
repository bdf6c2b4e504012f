// ChunkedScanner on a chunked body as it passes through the proxy: where it
// ends (or fails) does not depend on how the bytes arrive. The first byte
// chooses the size of the pieces the rest is fed in.

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "proxy/http_parser.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t piece = data[0] % 16 + 1;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  ms::proxy::ChunkedScanner whole;
  size_t whole_taken = whole.Feed(body);
  FUZZ_CHECK(whole_taken <= body.size());
  FUZZ_CHECK(whole_taken == body.size() || whole.done() || whole.failed());
  FUZZ_CHECK(!(whole.done() && whole.failed()));

  ms::proxy::ChunkedScanner pieces;
  size_t taken = 0;
  for (size_t at = 0; at < body.size(); at += piece) {
    std::string_view part = body.substr(at, piece);
    size_t n = pieces.Feed(part);
    FUZZ_CHECK(n <= part.size());
    taken += n;
    if (n < part.size()) {
      FUZZ_CHECK(pieces.done() || pieces.failed());
      break;
    }
  }
  FUZZ_CHECK(taken == whole_taken);
  FUZZ_CHECK(pieces.done() == whole.done() && pieces.failed() == whole.failed());
  return 0;
}
