// ReadTarFiles on a tar archive copied out of a builder container (whose
// contents a tenant's build controls): never throws, never reads past the
// archive, and keeps within max_bytes.

#include <cstdint>
#include <spanstream>

#include "server/common/tar_reader.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kMax = 1 << 20;
  std::ispanstream in(std::span<const char>(reinterpret_cast<const char*>(data), size));
  auto files = ms::ReadTarFiles(in, "fuzz.tar", kMax);
  if (!files) return 0;
  size_t total = 0;
  for (const auto& [name, contents] : *files) total += contents.size();
  FUZZ_CHECK(total <= kMax && total <= size);
  return 0;
}
