// ParseStorageMount on a tenant's `storage:mount APP NAME:/path` argument:
// never throws; what it accepts is a valid name and an absolute path without
// "." or ".." parts, empty parts or a trailing /, outside the system
// directories, and the volume name made of it holds neither a / nor a : (it
// goes into a bind "VOLUME:/path").

#include <cstdint>
#include <string>

#include "server/runtime/storage_spec.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = ms::ParseStorageMount(text);
  if (!parsed) return 0;
  const auto& [name, path] = *parsed;
  FUZZ_CHECK(ms::ValidateStorageName(name).has_value());
  FUZZ_CHECK(!path.empty() && path.front() == '/' && path.back() != '/');
  FUZZ_CHECK(path.find("//") == std::string::npos);
  FUZZ_CHECK(path.find("/../") == std::string::npos && !path.ends_with("/.."));
  FUZZ_CHECK(path.find("/./") == std::string::npos && !path.ends_with("/."));
  FUZZ_CHECK(path != "/app" && path != "/proc" && !path.starts_with("/proc/") && !path.starts_with("/etc/") && path != "/etc");
  FUZZ_CHECK(path.find(':') == std::string::npos && path.find(',') == std::string::npos);
  const std::string volume = ms::StorageVolumeName("inst", "shop", name);
  FUZZ_CHECK(volume.find('/') == std::string::npos && volume.find(':') == std::string::npos);
  return 0;
}
