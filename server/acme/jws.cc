#include "server/acme/jws.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "server/common/base64.h"

namespace ms::acme {

struct AccountKey::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

namespace {

// A 32-byte big-endian coordinate or signature half.
std::string Fixed32(const BIGNUM* n) {
  std::string out(32, '\0');
  BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), 32);
  return out;
}

bool IsP256(EVP_PKEY* key) {
  char group[64] = {};
  size_t length = 0;
  return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
         EVP_PKEY_get_group_name(key, group, sizeof group, &length) == 1 && std::string(group, length) == "prime256v1";
}

}  // namespace

std::string Base64Url(std::string_view data) {
  std::string s = Base64Encode(data, /*url_safe=*/true);
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

AccountKey::AccountKey(std::unique_ptr<Key> key) : key_(std::move(key)) {}
AccountKey::~AccountKey() = default;
AccountKey::AccountKey(AccountKey&&) noexcept = default;
AccountKey& AccountKey::operator=(AccountKey&&) noexcept = default;

Result<AccountKey> AccountKey::Generate() {
  auto key = std::make_unique<Key>();
  key->pkey = EVP_EC_gen("P-256");
  if (!key->pkey) {
    ERR_clear_error();
    return Failed("cannot make an ACME account key (OpenSSL failed)");
  }
  return AccountKey(std::move(key));
}

Result<AccountKey> AccountKey::FromPem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  auto key = std::make_unique<Key>();
  key->pkey = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ERR_clear_error();
  if (!key->pkey || !IsP256(key->pkey)) return Failed("the ACME account key is not a P-256 private key (PEM)");
  return AccountKey(std::move(key));
}

std::string AccountKey::Pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key_->pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n > 0 ? n : 0));
  BIO_free(bio);
  return out;
}

nlohmann::json AccountKey::Jwk() const {
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  EVP_PKEY_get_bn_param(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x);
  EVP_PKEY_get_bn_param(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
  nlohmann::json jwk = {{"crv", "P-256"}, {"kty", "EC"}, {"x", Base64Url(Fixed32(x))}, {"y", Base64Url(Fixed32(y))}};
  BN_free(x);
  BN_free(y);
  return jwk;
}

std::string AccountKey::Thumbprint() const {
  // RFC 7638: the required members in lexicographic order, no whitespace;
  // nlohmann's objects are sorted, and dump() adds no spaces.
  std::string canonical = Jwk().dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return Base64Url(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

Result<std::string> AccountKey::Sign(std::string_view data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  std::string der(length, '\0');
  ok = ok && EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &length,
                            reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    ERR_clear_error();
    return Failed("cannot sign the ACME request (OpenSSL failed)");
  }
  // OpenSSL gives DER (SEQUENCE of r and s); JWS wants r||s, 32 bytes each.
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(length));
  if (!sig) return Failed("cannot sign the ACME request (a signature OpenSSL cannot read)");
  std::string raw = Fixed32(ECDSA_SIG_get0_r(sig)) + Fixed32(ECDSA_SIG_get0_s(sig));
  ECDSA_SIG_free(sig);
  return raw;
}

Result<std::string> SignedBody(const AccountKey& key, const std::string& kid, const std::string& nonce,
                               const std::string& url, const std::optional<nlohmann::json>& payload) {
  nlohmann::json header = {{"alg", "ES256"}, {"nonce", nonce}, {"url", url}};
  if (kid.empty()) {
    header["jwk"] = key.Jwk();
  } else {
    header["kid"] = kid;
  }
  std::string protected_part = Base64Url(header.dump());
  std::string payload_part = payload ? Base64Url(payload->dump()) : "";
  auto signature = key.Sign(protected_part + "." + payload_part);
  if (!signature) return std::unexpected(signature.error());
  return nlohmann::json{{"protected", protected_part}, {"payload", payload_part}, {"signature", Base64Url(*signature)}}
      .dump();
}

std::string KeyAuthorization(const std::string& token, const AccountKey& key) { return token + "." + key.Thumbprint(); }

}  // namespace ms::acme
