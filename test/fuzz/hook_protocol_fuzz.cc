// The hook protocol's two parsers on one line from the other end of the hook
// socket: never throw, and what they accept serialises (ToJson) and parses
// back equal.

#include <cstdint>
#include <string_view>

#include "server/contracts/hook_protocol.h"
#include "test/fuzz/check.h"

namespace {

std::string_view WithoutNewline(const std::string& line) {
  FUZZ_CHECK(!line.empty() && line.back() == '\n');
  FUZZ_CHECK(line.find('\n') == line.size() - 1);
  return std::string_view(line).substr(0, line.size() - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  if (auto request = ms::contracts::ParseHookRequest(line)) {
    auto back = ms::contracts::ParseHookRequest(WithoutNewline(ms::contracts::ToJson(*request)));
    FUZZ_CHECK(back.has_value() && *back == *request);
  }
  if (auto message = ms::contracts::ParseHookMessage(line)) {
    auto back = ms::contracts::ParseHookMessage(WithoutNewline(ms::contracts::ToJson(*message)));
    FUZZ_CHECK(back.has_value() && *back == *message);
  }
  return 0;
}
