#pragma once
// UTF-8 validity: what JSON (the Docker Engine API, the routes file, --json)
// can carry as a string. Text a tenant sends that must cross into JSON is
// checked here first, so it gets a clear error instead of a replaced byte or
// a throw. Pure functions, any thread.

#include <cstddef>
#include <string_view>

namespace ms {

// The offset of the first byte that does not start a well-formed UTF-8
// sequence (overlong forms, surrogates and code points above U+10FFFF are not
// well formed); text.size() when all of it is well formed.
size_t FirstInvalidUtf8(std::string_view text);
inline bool IsUtf8(std::string_view text) { return FirstInvalidUtf8(text) == text.size(); }

}  // namespace ms
