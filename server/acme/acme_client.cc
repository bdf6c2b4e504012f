#include "server/acme/acme_client.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>

#include <algorithm>

namespace ms::acme {
namespace {

constexpr long kTimeoutSeconds = 30;
constexpr const char* kJose = "application/jose+json";

// A JSON string member, or "".
std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

AcmeClient::AcmeClient(AcmeOptions options, AccountKey key, Clock& clock)
    : options_(std::move(options)), key_(std::move(key)), clock_(clock),
      http_(HttpClient::Tcp("", "the ACME server", "check acme_directory in config.yaml and that it answers")) {}

std::string AcmeClient::Problem(const Answer& a) {
  std::string type = Str(a.json, "type");
  std::string detail = Str(a.json, "detail");
  if (type.starts_with("urn:ietf:params:acme:error:")) type = type.substr(27);
  if (type.empty() && detail.empty()) return fmt::format("HTTP {}", a.status);
  return detail.empty() ? type : type.empty() ? detail : type + ": " + detail;
}

Result<void> AcmeClient::LoadDirectory() {
  if (directory_.is_object()) return {};
  HttpRequest request;
  request.path = options_.directory;
  request.timeout_seconds = kTimeoutSeconds;
  request.ca_file = options_.ca_file;
  request.cancelled = options_.cancelled;
  auto r = http_.Send(request);
  if (!r) return std::unexpected(r.error());
  auto json = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || !json.is_object() || Str(json, "newNonce").empty() || Str(json, "newAccount").empty() ||
      Str(json, "newOrder").empty()) {
    return Failed(fmt::format("{} is not an ACME directory (HTTP {}): check acme_directory", options_.directory,
                              r->status));
  }
  directory_ = std::move(json);
  return {};
}

Result<void> AcmeClient::FreshNonce() {
  HttpRequest request;
  request.method = "HEAD";
  request.path = Str(directory_, "newNonce");
  request.timeout_seconds = kTimeoutSeconds;
  request.ca_file = options_.ca_file;
  request.cancelled = options_.cancelled;
  auto r = http_.Send(request);
  if (!r) return std::unexpected(r.error());
  nonce_ = r->Header("replay-nonce");
  if (nonce_.empty()) return Failed("the ACME server gave no nonce (newNonce answered without Replay-Nonce)");
  return {};
}

Result<AcmeClient::Answer> AcmeClient::Post(const std::string& url, const std::optional<nlohmann::json>& payload,
                                            const std::string& accept) {
  for (int attempt = 0;; ++attempt) {
    if (nonce_.empty()) {
      if (auto r = FreshNonce(); !r) return std::unexpected(r.error());
    }
    auto body = SignedBody(key_, kid_, nonce_, url, payload);
    if (!body) return std::unexpected(body.error());
    nonce_.clear();  // each nonce is good for one request
    HttpRequest request;
    request.method = "POST";
    request.path = url;
    request.body = *body;
    request.headers = {{"Content-Type", kJose}};
    if (!accept.empty()) request.headers["Accept"] = accept;
    request.timeout_seconds = kTimeoutSeconds;
    request.ca_file = options_.ca_file;
    request.cancelled = options_.cancelled;
    auto r = http_.Send(request);
    if (!r) return std::unexpected(r.error());
    Answer a;
    a.status = r->status;
    a.body = std::move(r->body);
    a.json = nlohmann::json::parse(a.body, nullptr, false);
    a.location = r->Header("location");
    std::string retry = r->Header("retry-after");
    a.retry_after = retry.empty() || retry.size() > 6 || !std::all_of(retry.begin(), retry.end(), [](char c) { return c >= '0' && c <= '9'; })
                        ? 0
                        : std::stol(retry);
    nonce_ = r->Header("replay-nonce");
    if (a.status == 400 && Str(a.json, "type") == "urn:ietf:params:acme:error:badNonce" && attempt < 2) continue;
    return a;
  }
}

Result<void> AcmeClient::Register() {
  if (!kid_.empty()) return {};
  nlohmann::json payload = {{"termsOfServiceAgreed", true}};
  if (!options_.email.empty()) payload["contact"] = {"mailto:" + options_.email};
  auto a = Post(Str(directory_, "newAccount"), payload);
  if (!a) return std::unexpected(a.error());
  if ((a->status != 200 && a->status != 201) || a->location.empty()) {
    return Failed(fmt::format("the ACME server refused the account: {}", Problem(*a)));
  }
  kid_ = a->location;
  return {};
}

Result<AcmeClient::Answer> AcmeClient::PollStatus(const std::string& url, const std::string& what) {
  const auto deadline = clock_.Now() + options_.poll_for;
  for (;;) {
    auto a = Post(url, std::nullopt);
    if (!a) return std::unexpected(a.error());
    if (a->status != 200) return Failed(fmt::format("{}: the ACME server answered {}", what, Problem(*a)));
    std::string status = Str(a->json, "status");
    if (status != "pending" && status != "processing") return a;
    if (clock_.Now() >= deadline) {
      return Failed(fmt::format("{}: still {} after {} s", what, status, options_.poll_for.count()));
    }
    // (In one-second steps: the daemon may be stopping.)
    for (long s = std::clamp<long>(a->retry_after, 1, 10); s > 0; --s) {
      if (options_.cancelled && options_.cancelled()) return Failed(fmt::format("{}: the daemon is stopping", what));
      clock_.SleepFor(std::chrono::seconds(1));
    }
  }
}

Result<void> AcmeClient::Authorize(const std::string& authorization_url, ChallengeBoard& board) {
  auto authz = Post(authorization_url, std::nullopt);
  if (!authz) return std::unexpected(authz.error());
  if (authz->status != 200) return Failed(fmt::format("reading an authorization: {}", Problem(*authz)));
  std::string name = authz->json.is_object() && authz->json.contains("identifier")
                         ? Str(authz->json["identifier"], "value")
                         : std::string("?");
  if (Str(authz->json, "status") == "valid") return {};
  const nlohmann::json* challenge = nullptr;
  auto challenges = authz->json.find("challenges");
  if (challenges != authz->json.end() && challenges->is_array()) {
    for (const auto& c : *challenges) {
      if (Str(c, "type") == "http-01") challenge = &c;
    }
  }
  if (!challenge || Str(*challenge, "token").empty() || Str(*challenge, "url").empty()) {
    return Failed(fmt::format("the ACME server offers no http-01 challenge for {}", name));
  }
  const std::string token = Str(*challenge, "token");
  if (token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
    return Failed(fmt::format("the ACME server's token for {} is not base64url", name));
  }
  if (auto r = board.Publish(token, KeyAuthorization(token, key_)); !r) {
    board.Withdraw(token);
    return r;
  }
  auto answered = Post(Str(*challenge, "url"), nlohmann::json::object());
  Result<Answer> done = answered && answered->status == 200 ? PollStatus(authorization_url, "validating " + name)
                                                            : answered;
  board.Withdraw(token);
  if (!answered) return std::unexpected(answered.error());
  if (answered->status != 200) return Failed(fmt::format("answering the challenge for {}: {}", name, Problem(*answered)));
  if (!done) return std::unexpected(done.error());
  if (Str(done->json, "status") == "valid") return {};
  // Why: the challenge's error (the CA could not fetch the token, say).
  std::string why = "its authorization is " + Str(done->json, "status");
  if (auto cs = done->json.find("challenges"); cs != done->json.end() && cs->is_array()) {
    for (const auto& c : *cs) {
      if (Str(c, "type") == "http-01" && c.contains("error")) {
        Answer e;
        e.json = c["error"];
        why = Problem(e);
      }
    }
  }
  return Failed(fmt::format("the ACME server could not validate {}: {}", name, why));
}

Result<Issued> AcmeClient::Issue(const std::vector<std::string>& names, ChallengeBoard& board) {
  if (names.empty()) return InvalidArgument("a certificate needs at least one name");
  if (auto r = LoadDirectory(); !r) return std::unexpected(r.error());
  if (auto r = Register(); !r) return std::unexpected(r.error());
  nlohmann::json identifiers = nlohmann::json::array();
  for (const auto& n : names) identifiers.push_back({{"type", "dns"}, {"value", n}});
  auto order = Post(Str(directory_, "newOrder"), nlohmann::json{{"identifiers", identifiers}});
  if (!order) return std::unexpected(order.error());
  if (order->status != 201 || order->location.empty()) {
    return Failed(fmt::format("the ACME server refused the order: {}", Problem(*order)));
  }
  const std::string order_url = order->location;
  auto authorizations = order->json.find("authorizations");
  if (authorizations == order->json.end() || !authorizations->is_array()) {
    return Failed("the ACME server's order lists no authorizations");
  }
  for (const auto& url : *authorizations) {
    if (!url.is_string()) return Failed("the ACME server's order lists an authorization that is not a URL");
    if (auto r = Authorize(url.get<std::string>(), board); !r) return std::unexpected(r.error());
  }

  // The key and its CSR; then the order until it is valid.
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  if (!pkey) return Failed("cannot make the certificate's key (OpenSSL failed)");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  Issued issued;
  issued.key_pem.assign(data, static_cast<size_t>(n > 0 ? n : 0));
  BIO_free(bio);
  EVP_PKEY_free(pkey);
  auto csr = MakeCsr(names, issued.key_pem);
  if (!csr) return std::unexpected(csr.error());
  auto finalized = Post(Str(order->json, "finalize"), nlohmann::json{{"csr", Base64Url(*csr)}});
  if (!finalized) return std::unexpected(finalized.error());
  if (finalized->status != 200) return Failed(fmt::format("the ACME server refused the CSR: {}", Problem(*finalized)));
  auto final_order = Str(finalized->json, "status") == "valid" ? std::move(finalized)
                                                                : PollStatus(order_url, "issuing the certificate");
  if (!final_order) return std::unexpected(final_order.error());
  std::string certificate_url = Str(final_order->json, "certificate");
  if (Str(final_order->json, "status") != "valid" || certificate_url.empty()) {
    return Failed(fmt::format("the ACME server did not issue the certificate (order {})",
                              Str(final_order->json, "status")));
  }
  auto chain = Post(certificate_url, std::nullopt, "application/pem-certificate-chain");
  if (!chain) return std::unexpected(chain.error());
  if (chain->status != 200 || chain->body.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Failed(fmt::format("downloading the certificate: {}", Problem(*chain)));
  }
  issued.chain_pem = std::move(chain->body);
  return issued;
}

Result<std::string> MakeCsr(const std::vector<std::string>& names, const std::string& key_pem) {
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key || names.empty()) {
    EVP_PKEY_free(key);
    ERR_clear_error();
    return Failed("cannot make the CSR: no key or no name");
  }
  X509_REQ* req = X509_REQ_new();
  X509_REQ_set_version(req, 0);
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(names[0].c_str()), -1, -1, 0);
  std::string san;
  for (const auto& n : names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, nullptr, nullptr, req, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  bool ok = ext && sk_X509_EXTENSION_push(exts, ext) > 0 && X509_REQ_add_extensions(req, exts) == 1 &&
            X509_REQ_set_pubkey(req, key) == 1 && X509_REQ_sign(req, key, EVP_sha256()) > 0;
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  std::string der;
  if (ok) {
    int length = i2d_X509_REQ(req, nullptr);
    der.resize(static_cast<size_t>(std::max(length, 0)));
    unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
    ok = length > 0 && i2d_X509_REQ(req, &p) == length;
  }
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  ERR_clear_error();
  if (!ok) return Failed("cannot make the CSR (OpenSSL failed)");
  return der;
}

}  // namespace ms::acme
