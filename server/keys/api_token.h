#pragma once
// API tokens: "mst_" and 40 hex digits of randomness (160 bits), made by
// tokens:create and shown once; the store keeps only the SHA-256 of one. Any
// thread.

#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms {

// A new token from OpenSSL's random generator; an error when it cannot draw.
Result<std::string> NewApiToken();
// The hex SHA-256 the store keeps of a token.
std::string ApiTokenHash(std::string_view token);
// Whether text has a token's shape (checked before any lookup).
bool IsApiTokenShape(std::string_view text);

}  // namespace ms
