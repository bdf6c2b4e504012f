#pragma once
// Base64 (RFC 4648, standard alphabet, padded) decoding. Pure function.

#include <optional>
#include <string>
#include <string_view>

namespace ms {

// nullopt when text is not base64 (whitespace is not allowed).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace ms
