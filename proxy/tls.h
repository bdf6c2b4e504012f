#pragma once
// TLS for the proxy's https port: the routes file's certificates, one OpenSSL
// context each, and the choice among them by the name the client sends (SNI).
// Made again at every routes change; a connection keeps the TlsContexts it
// began with (a shared_ptr), so certificates change with no restart and no
// connection dropped. A client that names no host, or one with no
// certificate, is refused in the handshake (alert unrecognized_name).
//
// TLS 1.2 and 1.3 only; in TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305
// only. Resumption by session tickets only (no server-side cache): their keys
// are derived from a secret every worker shares and the time (a new key every
// 12 hours, the two before it still accepted), so a ticket one worker issued
// resumes on the next after a hand-over. Used on the proxy's one thread.

#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/routes.h"

namespace ms::proxy {

class TlsContexts {
 public:
  // Loads every certificate file. One that cannot be used (missing, not PEM,
  // its key not matching its certificate) is left out and its reason added to
  // `errors`. secret: the ticket keys' (any length; empty: a random one, so
  // tickets resume only on this process).
  static std::shared_ptr<TlsContexts> Load(const std::vector<CertFile>& certs, std::string_view secret,
                                           std::vector<std::string>& errors);
  ~TlsContexts();
  TlsContexts(const TlsContexts&) = delete;
  TlsContexts& operator=(const TlsContexts&) = delete;

  // A server-side SSL for one connection; nullptr when OpenSSL cannot make
  // one. Its callbacks use this object: keep it alive while the SSL lives.
  SSL* NewConnection() const;
  // The context for a host name (lowercase, no port): an exact name first,
  // then "*.PARENT" for a name one label below PARENT. nullptr: none.
  SSL_CTX* Find(std::string_view host) const;

  // For the session ticket callback: the key of `slot` (12-hour periods since
  // the epoch): its 16-byte name, then 32 bytes of AES key and 32 of HMAC key.
  struct TicketKey {
    std::array<unsigned char, 16> name;
    std::array<unsigned char, 32> aes;
    std::array<unsigned char, 32> hmac;
  };
  TicketKey KeyFor(int64_t slot) const;

 private:
  TlsContexts() = default;

  SSL_CTX* default_ = nullptr;  // every SSL starts here: the SNI and ticket callbacks
  std::vector<SSL_CTX*> owned_;  // one per certificate (and default_)
  std::map<std::string, SSL_CTX*, std::less<>> exact_;
  std::map<std::string, SSL_CTX*, std::less<>> wildcard_;  // "*.x.y" stored as "x.y"
  std::string secret_;
};

// Every SSL_CTX the proxy makes: TLS 1.2+, the cipher list, no renegotiation
// or compression, buffers released while a connection is idle. nullptr when
// OpenSSL fails.
SSL_CTX* NewServerContext();

}  // namespace ms::proxy
