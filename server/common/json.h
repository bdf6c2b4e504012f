#pragma once
// JSON output for `--json`: one line, and bytes that are not valid UTF-8 (config
// values may hold any bytes) become U+FFFD instead of failing the command.

#include <nlohmann/json.hpp>
#include <string>

namespace ms {

// j[key] when it is an object, else an empty object: Engine API answers leave
// out what is not set, and .value() on a missing member must not throw.
inline const nlohmann::json& At(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!j.is_object()) return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

// Compact JSON text that never throws: a string that is not UTF-8 has its bad
// bytes replaced by U+FFFD (check tenant text with utf8.h first where a
// replaced byte would be wrong).
inline std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline std::string JsonLine(const nlohmann::json& value) { return DumpJson(value) + "\n"; }

}  // namespace ms
