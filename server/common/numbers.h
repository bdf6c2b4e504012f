#pragma once
// Parsing numbers users type on command lines. Pure functions, any thread.

#include <cstdlib>
#include <optional>
#include <string>

namespace ms {

// A TCP port, 0 to 65535, written in decimal and nothing else.
inline std::optional<int> ParsePort(const std::string& text) {
  char* end = nullptr;
  long port = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || port < 0 || port > 65535) return std::nullopt;
  return static_cast<int>(port);
}

// A whole number from min to max, in decimal digits and nothing else.
inline std::optional<int> ParseCount(const std::string& text, int min, int max) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  long n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < min || n > max) return std::nullopt;
  return static_cast<int>(n);
}

}  // namespace ms
