// certs:add's input (PEM on stdin, from a tenant): ParseCertBundle never
// crashes, and a bundle it accepts parses again from the PEM it wrote, to the
// same certificate; its names are all well formed and cover themselves.

#include <cstdint>
#include <string_view>

#include "server/certs/cert_bundle.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr int64_t kNow = 1798761600;  // 2027-01-01: the corpus's certificates (2026-2036) are valid then
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto bundle = ms::ParseCertBundle(text, kNow);
  if (!bundle) {
    FUZZ_CHECK(!bundle.error().message.empty());
    return 0;
  }
  auto again = ms::ParseCertBundle(bundle->pem, kNow);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->names == bundle->names && again->not_after == bundle->not_after &&
             again->pem == bundle->pem && again->key_type == bundle->key_type);
  FUZZ_CHECK(!bundle->names.empty());
  for (const auto& name : bundle->names) {
    FUZZ_CHECK(!name.empty() && name.size() <= 253);
    FUZZ_CHECK(ms::NameCovers(name, name));
  }
  return 0;
}
