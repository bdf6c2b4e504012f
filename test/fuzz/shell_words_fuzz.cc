// SplitShellWords on an SSH exec line: never throws; each word it gives,
// quoted with QuoteShellWord, splits back to itself, and the quoted words
// joined by spaces split back to the same list.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/shell_words.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto words = ms::SplitShellWords(line);
  if (!words) return 0;
  std::string joined;
  for (const std::string& word : *words) {
    std::string quoted = ms::QuoteShellWord(word);
    auto back = ms::SplitShellWords(quoted);
    FUZZ_CHECK(back.has_value() && *back == std::vector<std::string>{word});
    if (!joined.empty()) joined += ' ';
    joined += quoted;
  }
  auto again = ms::SplitShellWords(joined);
  FUZZ_CHECK(again.has_value() && *again == *words);
  return 0;
}
