#pragma once
// API tokens: "mst_" and 40 hex digits of randomness (160 bits), made by
// tokens:create and shown once; the store keeps only the SHA-256 of one. Any
// thread.

#include <string>
#include <string_view>

#include <optional>

#include "server/common/result.h"
#include "server/keys/caller.h"
#include "server/store/store.h"

namespace ms {

// A new token from OpenSSL's random generator; an error when it cannot draw.
Result<std::string> NewApiToken();
// The hex SHA-256 the store keeps of a token.
std::string ApiTokenHash(std::string_view token);
// Whether text has a token's shape (checked before any lookup).
bool IsApiTokenShape(std::string_view text);
// Who a token acts as at `now` (Unix seconds), marking it used: its key name
// with that name's role as it is now, the token's name and id; nullopt when it
// has not a token's shape, or is unknown, revoked, expired, or its name has no key.
Result<std::optional<Caller>> TokenCaller(Store& store, std::string_view token, int64_t now);

}  // namespace ms
