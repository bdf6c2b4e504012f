#pragma once
// Daemon log: one line per event on stderr, prefixed with a UTC timestamp.
// Thread-safe: lines from different threads never interleave.

#include <fmt/format.h>

#include <string_view>

namespace ms {

void LogLine(std::string_view level, std::string_view message);

template <class... Args>
void LogInfo(fmt::format_string<Args...> f, Args&&... args) {
  LogLine("info", fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void LogWarn(fmt::format_string<Args...> f, Args&&... args) {
  LogLine("warn", fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
void LogError(fmt::format_string<Args...> f, Args&&... args) {
  LogLine("error", fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace ms
