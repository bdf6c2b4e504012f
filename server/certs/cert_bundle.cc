#include "server/certs/cert_bundle.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <ctime>
#include <memory>
#include <optional>

namespace ms {
namespace {

constexpr size_t kMaxCerts = 10;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

BioPtr ReadBio(std::string_view text) { return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))); }

// A passphrase is never asked for: an encrypted key fails to load.
int NoPassphrase(char*, int, int, void*) { return -1; }

// Whether the last OpenSSL error was only "no more PEM blocks of this kind".
bool EndOfBlocks() {
  unsigned long e = ERR_peek_last_error();
  bool end = e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
  ERR_clear_error();
  return end;
}

int64_t Seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

std::string NameLine(const X509_NAME* name) {
  BioPtr out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

std::string CommonName(const X509_NAME* name) {
  int at = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return NameLine(name);
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<size_t>(ASN1_STRING_length(value)));
}

// A DNS name as a certificate holds it: letters, digits, '-', '.', and a
// leading "*." at most. nullopt for anything else (it is then ignored).
std::optional<std::string> DnsName(const ASN1_STRING* value) {
  std::string name(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                   static_cast<size_t>(ASN1_STRING_length(value)));
  if (name.empty() || name.size() > 253) return std::nullopt;
  for (size_t i = 0; i < name.size(); ++i) {
    char& c = name[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              (c == '*' && i == 0 && name.size() > 2 && name[1] == '.');
    if (!ok) return std::nullopt;
  }
  return name;
}

std::vector<std::string> DnsNames(X509* leaf) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr));
  if (!sans) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
    if (g->type != GEN_DNS) continue;
    if (auto name = DnsName(g->d.dNSName)) names.push_back(std::move(*name));
  }
  GENERAL_NAMES_free(sans);
  return names;
}

Result<std::string> KeyType(EVP_PKEY* key) {
  int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_EC) {
    char group[64] = {};
    size_t length = 0;
    EVP_PKEY_get_group_name(key, group, sizeof group, &length);
    std::string g(group, length);
    if (g == "prime256v1") return std::string("ECDSA P-256");
    if (g == "secp384r1") return std::string("ECDSA P-384");
    return InvalidArgument(fmt::format("the key is on the curve {}: use P-256 or P-384 (openssl ecparam -name "
                                       "prime256v1 -genkey)",
                                       g.empty() ? "?" : g));
  }
  if (id == EVP_PKEY_RSA) {
    int bits = EVP_PKEY_get_bits(key);
    if (bits < 2048) return InvalidArgument(fmt::format("the RSA key has {} bits: use 2048 or more", bits));
    return fmt::format("RSA {}", bits);
  }
  return InvalidArgument("the key is neither ECDSA nor RSA: browsers accept only those in certificates");
}

}  // namespace

bool NameCovers(std::string_view name, std::string_view host) {
  if (name == host) return true;
  if (!name.starts_with("*.")) return false;
  auto dot = host.find('.');
  return dot != std::string_view::npos && dot > 0 && host.substr(dot + 1) == name.substr(2);
}

Result<CertBundle> ParseCertBundle(std::string_view text, int64_t now) {
  ERR_clear_error();
  if (text.find("-----BEGIN") == std::string_view::npos) {
    return InvalidArgument("no PEM found: send the private key and the certificate chain, as PEM (-----BEGIN ...)");
  }
  // The key: exactly one.
  BioPtr keys = ReadBio(text);
  KeyPtr key(PEM_read_bio_PrivateKey(keys.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    ERR_clear_error();
    return InvalidArgument("no private key could be read: send it with the chain, unencrypted (-----BEGIN PRIVATE "
                           "KEY-----; an encrypted key: openssl pkey -in KEY.pem)");
  }
  if (KeyPtr(PEM_read_bio_PrivateKey(keys.get(), nullptr, NoPassphrase, nullptr))) {
    return InvalidArgument("more than one private key: send the certificate's own key only");
  }
  ERR_clear_error();
  auto key_type = KeyType(key.get());
  if (!key_type) return std::unexpected(key_type.error());

  // The certificates, in the order given.
  std::vector<X509Ptr> certs;
  BioPtr in = ReadBio(text);
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(in.get(), nullptr, NoPassphrase, nullptr));
    if (!cert) {
      if (!EndOfBlocks()) return InvalidArgument("a certificate in the PEM is damaged (its base64 or its DER)");
      break;
    }
    if (certs.size() == kMaxCerts) {
      return InvalidArgument(fmt::format("more than {} certificates: send the leaf and its intermediates", kMaxCerts));
    }
    certs.push_back(std::move(cert));
  }
  if (certs.empty()) return InvalidArgument("no certificate found: send the chain after the key (-----BEGIN CERTIFICATE-----)");

  // The leaf is the one the key belongs to; then each next is its issuer.
  std::vector<X509Ptr> chain;
  for (auto& c : certs) {
    if (c && X509_check_private_key(c.get(), key.get()) == 1) {
      chain.push_back(std::move(c));
      break;
    }
  }
  ERR_clear_error();
  if (chain.empty()) return InvalidArgument("the private key belongs to none of the certificates: send the key of the leaf");
  for (bool found = true; found;) {
    found = false;
    for (auto& c : certs) {
      if (!c || X509_check_issued(c.get(), chain.back().get()) != X509_V_OK) continue;
      chain.push_back(std::move(c));
      found = true;
      break;
    }
  }
  for (const auto& c : certs) {
    if (c) {
      return InvalidArgument(fmt::format("the certificate {} is not in the leaf's chain: send the leaf and the "
                                         "intermediates that issued it",
                                         NameLine(X509_get_subject_name(c.get()))));
    }
  }

  X509* leaf = chain.front().get();
  CertBundle bundle;
  bundle.key_type = *key_type;
  bundle.names = DnsNames(leaf);
  bundle.subject = NameLine(X509_get_subject_name(leaf));
  bundle.issuer = CommonName(X509_get_issuer_name(leaf));
  bundle.not_before = Seconds(X509_get0_notBefore(leaf));
  bundle.not_after = Seconds(X509_get0_notAfter(leaf));
  if (bundle.names.empty()) {
    return InvalidArgument("the certificate names no DNS host (subjectAltName): browsers need one");
  }
  if (bundle.not_after <= now) return InvalidArgument("the certificate has expired: send a current one");
  if (bundle.not_before > now + 3600) return InvalidArgument("the certificate is not valid yet");

  BioPtr out(BIO_new(BIO_s_mem()));
  bool written = PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  for (const auto& c : chain) written = written && PEM_write_bio_X509(out.get(), c.get()) == 1;
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  ERR_clear_error();
  if (!written || n <= 0) return Failed("cannot write the certificate out again (OpenSSL failed)");
  bundle.pem.assign(data, static_cast<size_t>(n));
  return bundle;
}

}  // namespace ms
