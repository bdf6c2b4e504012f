#pragma once
// Certificates for tests, made with OpenSSL: a self-signed one for some DNS
// names (its own trust anchor for a client), with an ECDSA P-256 or an RSA
// 2048 key.

#include <string>
#include <vector>

namespace ms::test {

struct TestCert {
  std::string key_pem;   // PKCS#8
  std::string cert_pem;  // the certificate
  std::string Bundle() const { return key_pem + cert_pem; }
};

// Valid from an hour ago for `days` days (negative: expired that long ago).
TestCert MakeSelfSigned(const std::vector<std::string>& names, bool rsa = false, int days = 90);

}  // namespace ms::test
