// ParseAppJsonCheckPath on a pushed app.json: never throws, and a path it
// accepts is one the health check may use.

#include <cstdint>
#include <string_view>

#include "server/deploy/app_json.h"
#include "server/runtime/service_spec.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto path = ms::ParseAppJsonCheckPath(std::string_view(reinterpret_cast<const char*>(data), size));
  if (path) FUZZ_CHECK(path->empty() || ms::IsCheckPath(*path));
  return 0;
}
