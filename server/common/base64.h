#pragma once
// Base64 (RFC 4648, padded): decoding of the standard alphabet, encoding in
// the standard or the URL-safe alphabet. Pure functions.

#include <optional>
#include <string>
#include <string_view>

namespace ms {

// nullopt when text is not base64 (whitespace is not allowed).
std::optional<std::string> Base64Decode(std::string_view text);

// url_safe: '-' and '_' for '+' and '/' (RFC 4648 section 5), still padded.
std::string Base64Encode(std::string_view data, bool url_safe = false);

}  // namespace ms
