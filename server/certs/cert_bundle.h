#pragma once
// A certificate bundle as an admin or a tenant gives it (certs:add: PEM on
// stdin, the private key and the chain in any order) or as ACME issues it:
// parsed and checked with OpenSSL, and written back as clean PEM (the key,
// then the chain leaf first) for the proxy to load. Every byte here comes from
// a tenant: nothing throws, and fuzz/cert_bundle_fuzz.cc feeds it garbage.
// Any thread may call these.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"

namespace ms {

struct CertBundle {
  std::vector<std::string> names;  // the leaf's DNS names (subjectAltName), lower case; "*.x.y" for a wildcard
  std::string subject;             // the leaf's subject, one line
  std::string issuer;              // the leaf's issuer's CN (or whole name when it has none)
  int64_t not_before = 0;          // Unix seconds
  int64_t not_after = 0;
  std::string key_type;            // "ECDSA P-256", "RSA 2048" ...
  std::string pem;                 // the key, then the chain, leaf first
};

// Parses and checks a bundle: one private key, one or more certificates whose
// first (the leaf, wherever it is in the text) matches the key and whose
// others each issued the one before; a leaf with at least one DNS name.
// `now`: Unix seconds, for "expired" and "not yet valid". Errors say what is
// wrong and what to send instead.
Result<CertBundle> ParseCertBundle(std::string_view text, int64_t now);

// Whether a certificate for `name` (a DNS name from a certificate, maybe
// "*.x.y") covers `host`: exactly, or as a wildcard for one label ("*.x.y"
// covers "a.x.y", not "x.y" nor "a.b.x.y"). Both lower case.
bool NameCovers(std::string_view name, std::string_view host);

}  // namespace ms
