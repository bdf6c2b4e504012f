// CookieValue on any Cookie header a browser (or anyone) sends the API:
// never throws, never reads past the input, and the value is part of it.

#include <cstdint>
#include <string_view>

#include "server/common/cookies.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  std::string value = ms::CookieValue(header, "mothership_session");
  FUZZ_CHECK(value.size() <= 128);
  FUZZ_CHECK(value.empty() || header.find(value) != std::string_view::npos);
  return 0;
}
