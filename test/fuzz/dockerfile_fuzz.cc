// ReadDockerfile on a pushed Dockerfile: never throws; every image it reports
// names a line of the text and a FROM or COPY --from, and no image is a
// stage name or empty.

#include <cstdint>
#include <string>

#include "server/builder/dockerfile.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto images = ms::ReadDockerfile(text);
  if (!images) {
    FUZZ_CHECK(!images.error().message.empty());
    return 0;
  }
  int lines = 1;
  for (char c : text) lines += c == '\n' || c == '\r';
  for (const auto& image : *images) {
    FUZZ_CHECK(image.line >= 1 && image.line <= lines);
    FUZZ_CHECK(image.instruction == "FROM" || image.instruction == "COPY --from");
    FUZZ_CHECK(!image.name.empty());
  }
  return 0;
}
