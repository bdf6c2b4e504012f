#pragma once
// The signing side of ACME (RFC 8555 section 6.2; JWS, RFC 7515): an account
// key (ECDSA P-256), its JWK and thumbprint (RFC 7638), and requests signed
// with ES256 in the flattened JSON form. Pure apart from the key itself; any
// thread may call these (an AccountKey is read-only once made).

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/common/result.h"

namespace ms::acme {

// Unpadded base64url (RFC 7515 section 2).
std::string Base64Url(std::string_view data);

class AccountKey {
 public:
  // A new P-256 key.
  static Result<AccountKey> Generate();
  // From PEM (PKCS#8, as Pem() writes); an error when it is not a P-256 key.
  static Result<AccountKey> FromPem(std::string_view pem);
  ~AccountKey();
  AccountKey(AccountKey&&) noexcept;
  AccountKey& operator=(AccountKey&&) noexcept;

  std::string Pem() const;
  // {"crv":"P-256","kty":"EC","x":...,"y":...}
  nlohmann::json Jwk() const;
  // base64url(SHA-256 of the JWK's canonical JSON): the key authorization's second half.
  std::string Thumbprint() const;
  // The 64-byte signature r||s of data (ES256), not DER.
  Result<std::string> Sign(std::string_view data) const;

 private:
  struct Key;
  explicit AccountKey(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

// A signed request body: {"protected", "payload", "signature"}. The header
// has alg ES256, the nonce, the url, and either kid (the account's URL) or,
// with kid empty, the jwk. payload nullopt: POST-as-GET (an empty payload).
Result<std::string> SignedBody(const AccountKey& key, const std::string& kid, const std::string& nonce,
                               const std::string& url, const std::optional<nlohmann::json>& payload);

// token.thumbprint: what the http-01 challenge's URL answers (section 8.1).
std::string KeyAuthorization(const std::string& token, const AccountKey& key);

}  // namespace ms::acme
