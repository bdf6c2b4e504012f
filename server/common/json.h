#pragma once
// JSON output for `--json`: one line, and bytes that are not valid UTF-8 (config
// values may hold any bytes) become U+FFFD instead of failing the command.

#include <nlohmann/json.hpp>
#include <string>

namespace ms {

inline std::string JsonLine(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace ms
