#pragma once
// An ACME client (RFC 8555) for certificates by the http-01 challenge: the
// directory, nonces, the account (found again by its key), an order for some
// DNS names, each name's challenge published where the proxy answers it, the
// CSR of a new P-256 key, and the chain the CA issues. Blocking: the daemon's
// certificate manager calls it on its own thread, never on a push's path.
// One AcmeClient is used by one thread at a time.
//
// Everything the CA sends is untrusted bytes: parsed without exceptions, and
// an answer that is not what RFC 8555 says is an error naming the step.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/acme/jws.h"
#include "server/common/clock.h"
#include "server/common/http_client.h"
#include "server/common/result.h"

namespace ms::acme {

// Where http-01 answers go: Publish(token, key_authorization) makes
// http://NAME/.well-known/acme-challenge/TOKEN answer it (and returns once it
// does); Withdraw(token) stops that.
class ChallengeBoard {
 public:
  virtual ~ChallengeBoard() = default;
  virtual Result<void> Publish(const std::string& token, const std::string& key_authorization) = 0;
  virtual void Withdraw(const std::string& token) = 0;
};

struct Issued {
  std::string key_pem;    // the certificate's new private key
  std::string chain_pem;  // leaf first
};

struct AcmeOptions {
  std::string directory;  // https://acme-v02.api.letsencrypt.org/directory
  std::string email;      // the account's contact; may be empty
  std::string ca_file;    // trust this bundle for the directory's TLS (a private CA); empty: the system's
  std::chrono::seconds poll_for{90};  // how long a challenge or an order may stay pending
  // True when the daemon stops: requests and waits end (the issue fails).
  std::function<bool()> cancelled;
};

class AcmeClient {
 public:
  AcmeClient(AcmeOptions options, AccountKey key, Clock& clock = SystemClock::Get());

  // Orders a certificate for names (DNS names; the first is the subject) and
  // returns it. Errors say which step failed and what the CA said.
  Result<Issued> Issue(const std::vector<std::string>& names, ChallengeBoard& board);

 private:
  struct Answer {
    long status = 0;
    std::string body;
    nlohmann::json json;  // discarded when the body is not JSON
    std::string location;
    long retry_after = 0;
  };
  Result<void> LoadDirectory();
  Result<void> FreshNonce();
  Result<void> Register();
  // A signed POST (payload nullopt: POST-as-GET), retried once on badNonce.
  Result<Answer> Post(const std::string& url, const std::optional<nlohmann::json>& payload,
                      const std::string& accept = "");
  // The CA's problem document as words: "TYPE: detail".
  static std::string Problem(const Answer& a);
  // POST-as-GET url until its "status" is not pending/processing (or the time is up).
  Result<Answer> PollStatus(const std::string& url, const std::string& what);
  Result<void> Authorize(const std::string& authorization_url, ChallengeBoard& board);

  AcmeOptions options_;
  AccountKey key_;
  Clock& clock_;
  HttpClient http_;
  nlohmann::json directory_;
  std::string nonce_;
  std::string kid_;  // the account's URL
};

// A CSR (DER) for names, signed by key_pem's key.
Result<std::string> MakeCsr(const std::vector<std::string>& names, const std::string& key_pem);

}  // namespace ms::acme
