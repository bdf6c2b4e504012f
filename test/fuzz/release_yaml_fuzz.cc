// ParseReleaseYaml on what a buildpack's bin/release prints: never throws,
// never overflows the stack, whatever the YAML.

#include <cstdint>
#include <string_view>

#include "server/builder/release_yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)ms::ParseReleaseYaml(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
