#include "proxy/tls.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace ms::proxy {
namespace {

constexpr int64_t kTicketSlotSeconds = 12 * 3600;
constexpr int64_t kTicketSlotsAccepted = 3;  // the current one and the two before it

// Mozilla's "intermediate" TLS 1.2 list: forward secrecy and AEAD only.
constexpr const char* kCiphers12 =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// OpenSSL's last error as text ("no start line" ...), the queue emptied.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  // "error:0480006C:PEM routines::no start line": the reason is after the last colon.
  std::string s = text;
  auto colon = s.rfind(':');
  return colon == std::string::npos ? s : s.substr(colon + 1);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int ContextsIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

const TlsContexts* ContextsOf(SSL* ssl) {
  return static_cast<const TlsContexts*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ContextsIndex()));
}

// SNI: switches the connection to the host's context, or refuses it.
int OnServerName(SSL* ssl, int* alert, void*) {
  const TlsContexts* contexts = ContextsOf(ssl);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  SSL_CTX* ctx = contexts && name ? contexts->Find(Lower(name)) : nullptr;
  if (!ctx) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  if (ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

// Loads a PEM file's chain and key into ctx; false with the reason.
bool LoadInto(SSL_CTX* ctx, const std::string& file, std::string& why) {
  ERR_clear_error();
  const char* step = "its certificate chain";
  bool ok = SSL_CTX_use_certificate_chain_file(ctx, file.c_str()) == 1;
  if (ok) step = "its private key";
  ok = ok && SSL_CTX_use_PrivateKey_file(ctx, file.c_str(), SSL_FILETYPE_PEM) == 1;
  if (ok) step = "the key against the certificate";
  ok = ok && SSL_CTX_check_private_key(ctx) == 1;
  if (!ok) why = std::string("cannot load ") + step + ": " + OpenSslError();
  return ok;
}

int64_t CurrentSlot() { return static_cast<int64_t>(std::time(nullptr)) / kTicketSlotSeconds; }

// Session tickets (SSL_CTX_set_tlsext_ticket_key_evp_cb): 1 done, 2 done and
// issue a new ticket (an older key), 0 unknown key (a full handshake), -1 error.
int OnTicketKey(SSL* ssl, unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX* cipher,
                EVP_MAC_CTX* mac, int encrypt) {
  const TlsContexts* contexts = ContextsOf(ssl);
  if (!contexts) return -1;
  auto use = [&](const TlsContexts::TicketKey& key) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.hmac.data()),
                                          key.hmac.size()),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end()};
    return EVP_MAC_CTX_set_params(mac, params) == 1;
  };
  const int64_t slot = CurrentSlot();
  if (encrypt) {
    auto key = contexts->KeyFor(slot);
    if (RAND_bytes(iv, EVP_CIPHER_iv_length(EVP_aes_256_cbc())) != 1) return -1;
    std::memcpy(name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1 || !use(key)) return -1;
    return 1;
  }
  for (int64_t age = 0; age < kTicketSlotsAccepted; ++age) {
    auto key = contexts->KeyFor(slot - age);
    if (std::memcmp(name, key.name.data(), key.name.size()) != 0) continue;
    if (EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes.data(), iv) != 1 || !use(key)) return -1;
    // 2: a new ticket follows. TLS 1.3 sends one only then, and its tickets
    // are meant for one use (RFC 8446, C.4): a client that resumed would
    // have none left for its next connection.
    return age == 0 && SSL_version(ssl) != TLS1_3_VERSION ? 1 : 2;
  }
  return 0;
}

}  // namespace

SSL_CTX* NewServerContext() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return nullptr;
  bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
            SSL_CTX_set_cipher_list(ctx, kCiphers12) == 1 &&
            SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") == 1;
  if (!ok) {
    SSL_CTX_free(ctx);
    return nullptr;
  }
  // (A client that closes without close_notify ends its stream, as most do.)
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_read_ahead(ctx, 1);
  return ctx;
}

std::shared_ptr<TlsContexts> TlsContexts::Load(const std::vector<CertFile>& certs, std::string_view secret,
                                               std::vector<std::string>& errors) {
  std::shared_ptr<TlsContexts> self(new TlsContexts());
  self->secret_ = std::string(secret);
  if (self->secret_.empty()) {
    self->secret_.resize(32);
    RAND_bytes(reinterpret_cast<unsigned char*>(self->secret_.data()), 32);
  }
  auto adopt = [&](SSL_CTX* ctx) {
    self->owned_.push_back(ctx);
    SSL_CTX_set_ex_data(ctx, ContextsIndex(), self.get());
    SSL_CTX_set_tlsext_servername_callback(ctx, OnServerName);
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, OnTicketKey);
  };
  self->default_ = NewServerContext();
  if (!self->default_) {
    errors.push_back("cannot make a TLS context: " + OpenSslError());
    return self;
  }
  adopt(self->default_);
  // Entries with the same hosts share a context: an ECDSA and an RSA
  // certificate for one name (OpenSSL keeps one of each key type and picks by
  // what the client supports).
  std::map<std::vector<std::string>, SSL_CTX*> by_hosts;
  for (const auto& cert : certs) {
    std::vector<std::string> hosts;
    for (const auto& h : cert.hosts) hosts.push_back(Lower(h));
    std::sort(hosts.begin(), hosts.end());
    SSL_CTX*& ctx = by_hosts[hosts];
    bool fresh = !ctx;
    if (fresh) ctx = NewServerContext();
    if (!ctx) {
      errors.push_back(cert.file + ": cannot make a TLS context: " + OpenSslError());
      by_hosts.erase(hosts);
      continue;
    }
    // A second certificate for the same names is tried in a context of its
    // own first: one that fails half way must not leave a certificate
    // without its key in the shared one.
    std::string why;
    if (!fresh) {
      SSL_CTX* trial = NewServerContext();
      bool good = trial && LoadInto(trial, cert.file, why);
      SSL_CTX_free(trial);
      if (!good) {
        errors.push_back(cert.file + ": " + (why.empty() ? "cannot make a TLS context" : why));
        continue;
      }
    }
    if (!LoadInto(ctx, cert.file, why)) {
      errors.push_back(cert.file + ": " + why);
      if (fresh) {
        SSL_CTX_free(ctx);
        by_hosts.erase(hosts);
      }
      continue;
    }
    if (!fresh) continue;
    adopt(ctx);
    for (const auto& host : hosts) {
      if (host.starts_with("*.")) {
        self->wildcard_[host.substr(2)] = ctx;
      } else {
        self->exact_[host] = ctx;
      }
    }
  }
  return self;
}

TlsContexts::~TlsContexts() {
  for (SSL_CTX* ctx : owned_) SSL_CTX_free(ctx);  // (an SSL still open holds its own reference)
}

SSL* TlsContexts::NewConnection() const { return default_ ? SSL_new(default_) : nullptr; }

SSL_CTX* TlsContexts::Find(std::string_view host) const {
  if (auto it = exact_.find(host); it != exact_.end()) return it->second;
  auto dot = host.find('.');
  if (dot == std::string_view::npos || dot == 0) return nullptr;
  auto it = wildcard_.find(host.substr(dot + 1));
  return it == wildcard_.end() ? nullptr : it->second;
}

TlsContexts::TicketKey TlsContexts::KeyFor(int64_t slot) const {
  // HMAC-SHA256(secret, "mothership-ticket SLOT LABEL") for each part: every
  // worker with the secret derives the same keys.
  auto part = [&](const char* label, unsigned char* out, size_t size) {
    std::string info = "mothership-ticket " + std::to_string(slot) + " " + label;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
         reinterpret_cast<const unsigned char*>(info.data()), info.size(), digest, &length);
    std::memcpy(out, digest, std::min<size_t>(size, length));
  };
  TicketKey key;
  part("name", key.name.data(), key.name.size());
  part("aes", key.aes.data(), key.aes.size());
  part("hmac", key.hmac.data(), key.hmac.size());
  return key;
}

}  // namespace ms::proxy
