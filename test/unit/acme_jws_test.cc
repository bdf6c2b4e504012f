// ACME's signing (server/acme/jws.h): the JWK and its thumbprint, ES256
// signatures that verify, and the flattened JWS bodies.

#include <catch2/catch.hpp>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "server/acme/jws.h"
#include "server/common/base64.h"

using ms::acme::AccountKey;
using ms::acme::Base64Url;

namespace {

std::string FromBase64Url(std::string text) {
  for (char& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (text.size() % 4) text += '=';
  return ms::Base64Decode(text).value_or("");
}

// Whether raw (r||s) is key's ES256 signature of data.
bool Verifies(const AccountKey& key, const std::string& data, const std::string& raw) {
  REQUIRE(raw.size() == 64);
  std::string pem = key.Pem();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_length = i2d_ECDSA_SIG(sig, &der);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, der, static_cast<size_t>(der_length),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  EVP_PKEY_free(pkey);
  return ok;
}

}  // namespace

TEST_CASE("acme: base64url has no padding and the URL alphabet", "[acme]") {
  CHECK(Base64Url("") == "");
  CHECK(Base64Url("f") == "Zg");
  CHECK(Base64Url("\xfb\xff") == "-_8");
}

TEST_CASE("acme: an account key's JWK, thumbprint and PEM round trip", "[acme]") {
  auto key = AccountKey::Generate();
  REQUIRE(key);
  auto jwk = key->Jwk();
  CHECK(jwk["kty"] == "EC");
  CHECK(jwk["crv"] == "P-256");
  CHECK(FromBase64Url(jwk["x"]).size() == 32);
  CHECK(FromBase64Url(jwk["y"]).size() == 32);
  // RFC 7638: the members in order, no whitespace, then SHA-256.
  std::string canonical = std::string(R"({"crv":"P-256","kty":"EC","x":")") + jwk["x"].get<std::string>() +
                          R"(","y":")" + jwk["y"].get<std::string>() + R"("})";
  unsigned char digest[32];
  EVP_Digest(canonical.data(), canonical.size(), digest, nullptr, EVP_sha256(), nullptr);
  CHECK(key->Thumbprint() == Base64Url(std::string(reinterpret_cast<char*>(digest), 32)));
  CHECK(ms::acme::KeyAuthorization("tok", *key) == "tok." + key->Thumbprint());

  auto again = AccountKey::FromPem(key->Pem());
  REQUIRE(again);
  CHECK(again->Thumbprint() == key->Thumbprint());
  CHECK_FALSE(AccountKey::FromPem("not a key"));
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, rsa, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  CHECK_FALSE(AccountKey::FromPem(std::string(data, static_cast<size_t>(n))));
  BIO_free(bio);
  EVP_PKEY_free(rsa);
}

TEST_CASE("acme: signed bodies - jwk before an account, kid after, POST-as-GET's empty payload - signatures verify",
          "[acme]") {
  auto key = AccountKey::Generate();
  REQUIRE(key);
  auto body = ms::acme::SignedBody(*key, "", "nonce-1", "https://ca.test/new-acct",
                                   nlohmann::json{{"termsOfServiceAgreed", true}});
  REQUIRE(body);
  auto jws = nlohmann::json::parse(*body);
  auto header = nlohmann::json::parse(FromBase64Url(jws["protected"]));
  CHECK(header["alg"] == "ES256");
  CHECK(header["nonce"] == "nonce-1");
  CHECK(header["url"] == "https://ca.test/new-acct");
  CHECK(header["jwk"] == key->Jwk());
  CHECK_FALSE(header.contains("kid"));
  CHECK(nlohmann::json::parse(FromBase64Url(jws["payload"])) == nlohmann::json{{"termsOfServiceAgreed", true}});
  CHECK(Verifies(*key, jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>(),
                 FromBase64Url(jws["signature"])));

  auto get = ms::acme::SignedBody(*key, "https://ca.test/acct/1", "nonce-2", "https://ca.test/order/1", std::nullopt);
  REQUIRE(get);
  auto jws2 = nlohmann::json::parse(*get);
  auto header2 = nlohmann::json::parse(FromBase64Url(jws2["protected"]));
  CHECK(header2["kid"] == "https://ca.test/acct/1");
  CHECK_FALSE(header2.contains("jwk"));
  CHECK(jws2["payload"] == "");
  CHECK(Verifies(*key, jws2["protected"].get<std::string>() + ".", FromBase64Url(jws2["signature"])));
}
