#pragma once
// Typed reads of a JSON document that came from another process, for the
// contracts in this folder only. Nothing here throws on any input: a wrong
// type, a missing member or a number out of range is an error value whose
// message names the document and the member ("routes.json apps[1]: \"upstream\"
// must be a string"). Any thread may call these.

#include <concepts>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"

namespace ms::contracts::detail {

using Json = nlohmann::json;

// One line of JSON ("\n" included); bytes that are not UTF-8 become U+FFFD.
inline std::string Line(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

// `text` as a JSON object; what: the document's name, for the message.
inline Result<Json> ParseObject(std::string_view text, std::string_view what) {
  // nlohmann stops at a NUL byte, taking what precedes it for the whole text;
  // valid JSON never holds one (strings escape it as \u0000).
  if (text.find('\0') != std::string_view::npos) {
    return Failed(std::string(what) + " is not valid JSON (it holds a NUL byte)");
  }
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Failed(std::string(what) + " is not valid JSON");
  if (!doc.is_object()) return Failed(std::string(what) + " is not a JSON object");
  return doc;
}

inline std::unexpected<Error> WrongType(std::string_view where, std::string_view key,
                                        std::string_view type) {
  return Failed(std::string(where) + ": \"" + std::string(key) + "\" must be " + std::string(type));
}

// value as a T (std::string, bool, an integer type, std::vector<std::string>).
template <class T>
Result<T> As(const Json& value, std::string_view where, std::string_view key) {
  if constexpr (std::same_as<T, std::string>) {
    if (!value.is_string()) return WrongType(where, key, "a string");
    return value.get_ref<const std::string&>();
  } else if constexpr (std::same_as<T, bool>) {
    if (!value.is_boolean()) return WrongType(where, key, "true or false");
    return value.get<bool>();
  } else if constexpr (std::integral<T>) {
    if (!value.is_number_integer()) return WrongType(where, key, "an integer");
    bool fits = value.is_number_unsigned()
                    ? value.get<uint64_t>() <= uint64_t{std::numeric_limits<T>::max()}
                    : std::in_range<T>(value.get<int64_t>());
    if (!fits) return WrongType(where, key, "an integer in range");
    return value.is_number_unsigned() ? static_cast<T>(value.get<uint64_t>())
                                      : static_cast<T>(value.get<int64_t>());
  } else {
    static_assert(std::same_as<T, std::vector<std::string>>);
    if (!value.is_array()) return WrongType(where, key, "an array of strings");
    T out;
    for (const auto& item : value) {
      if (!item.is_string()) return WrongType(where, key, "an array of strings");
      out.push_back(item.get_ref<const std::string&>());
    }
    return out;
  }
}

// object[key], which must be present.
template <class T>
Result<T> Get(const Json& object, std::string_view key, std::string_view where) {
  auto it = object.find(key);
  if (it == object.end()) return Failed(std::string(where) + ": \"" + std::string(key) + "\" is missing");
  return As<T>(*it, where, key);
}

// object[key], or fallback when it is absent (but not when it has another type).
template <class T>
Result<T> GetOr(const Json& object, std::string_view key, T fallback, std::string_view where) {
  auto it = object.find(key);
  if (it == object.end()) return fallback;
  return As<T>(*it, where, key);
}

}  // namespace ms::contracts::detail
