// Gunzip then ReadTarEntries on a .tar.gz a tenant uploads to deploy from the
// API (POST /api/v1/apps/APP/builds): never throws, never reads past the input,
// and keeps within the limits.

#include <cstdint>
#include <string_view>

#include "server/common/gzip.h"
#include "server/common/tar_reader.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kMax = 1 << 20;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The bytes as a tar archive, and (when they are gzip) what they inflate to.
  auto check = [](std::string_view tar) {
    auto entries = ms::ReadTarEntries(tar, kMax);
    if (!entries) return;
    size_t total = 0;
    for (const auto& e : *entries) {
      total += e.data.size();
      FUZZ_CHECK(!e.path.starts_with("./"));
    }
    FUZZ_CHECK(total <= kMax && total <= tar.size());
  };
  check(input);
  auto inflated = ms::Gunzip(input, kMax);
  if (inflated) {
    FUZZ_CHECK(inflated->size() <= kMax);
    check(*inflated);
  }
  return 0;
}
