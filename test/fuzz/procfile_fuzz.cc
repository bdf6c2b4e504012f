// ParseProcfile on a pushed Procfile: never throws; what it accepts is a map
// of valid type names to non-empty commands, and those written back as a
// Procfile parse to the same map.

#include <cctype>
#include <cstdint>
#include <string>

#include "server/builder/procfile.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto types = ms::ParseProcfile(std::string(reinterpret_cast<const char*>(data), size));
  if (!types) return 0;
  std::string again;
  for (const auto& [name, command] : *types) {
    FUZZ_CHECK(!name.empty() && name.size() <= 30);
    for (char c : name) FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    FUZZ_CHECK(!command.empty() && command[0] != ' ' && command[0] != '\t');
    FUZZ_CHECK(command.find('\n') == std::string::npos);
    if (command.back() != '\r') again += name + ": " + command + "\n";
  }
  auto reparsed = ms::ParseProcfile(again);
  FUZZ_CHECK(reparsed.has_value());
  for (const auto& [name, command] : *reparsed) FUZZ_CHECK(types->at(name) == command);
  return 0;
}
