#include "server/acme/cert_manager.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include "server/certs/cert_bundle.h"
#include "server/certs/cert_files.h"
#include "server/common/log.h"

namespace ms {
namespace {

constexpr int64_t kRenewBeforeSeconds = 30 * 86400;
constexpr int64_t kFirstRetrySeconds = 60;
constexpr int64_t kLongestRetrySeconds = 86400;
// How often the thread looks without being woken: retries come due, and
// certificates near their end.
constexpr auto kLookEvery = std::chrono::seconds(60);
constexpr const char* kLetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";

bool CanBePublic(const std::string& domain) {
  if (domain.empty() || domain == "localhost" || domain.ends_with(".localhost")) return false;
  if (domain.find('.') == std::string::npos) return false;
  // An address (IPv4 digits and dots, or IPv6) has no public name.
  return domain.find_first_not_of("0123456789.") != std::string::npos && domain.find(':') == std::string::npos;
}

// The proxy as ACME's challenge board.
class ProxyBoard : public acme::ChallengeBoard {
 public:
  explicit ProxyBoard(ProxyService& proxy) : proxy_(proxy) {}
  Result<void> Publish(const std::string& token, const std::string& key_authorization) override {
    return proxy_.PublishChallenge(token, key_authorization);
  }
  void Withdraw(const std::string& token) override { proxy_.WithdrawChallenge(token); }

 private:
  ProxyService& proxy_;
};

}  // namespace

std::string AcmeDirectoryOf(const Settings& settings) {
  if (settings.acme_directory == "off") return "";
  if (!settings.acme_directory.empty()) return settings.acme_directory;
  return CanBePublic(settings.domain) ? kLetsEncrypt : "";
}

std::vector<std::string> AcmeNames(const Settings& settings, const std::string& app,
                                   const std::vector<std::string>& domains, bool wildcard_covers_domain) {
  std::vector<std::string> names;
  if (!settings.domain.empty() && !wildcard_covers_domain) names.push_back(app + "." + settings.domain);
  for (const auto& d : domains) {
    if (!d.starts_with("*.")) names.push_back(d);
  }
  return names;
}

CertManager::CertManager(const Settings& settings, Store& store, ProxyService& proxy, std::function<int64_t()> now)
    : settings_(settings), store_(store), proxy_(proxy), now_(std::move(now)) {
  if (!now_) now_ = [] { return static_cast<int64_t>(std::time(nullptr)); };
}

CertManager::~CertManager() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CertManager::Start() {
  if (AcmeDirectoryOf(settings_).empty()) return;
  thread_ = std::thread([this] {
    while (true) {
      RunOnce();
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, kLookEvery, [this] { return woken_ || stopping_; });
      if (stopping_) return;
      woken_ = false;
    }
  });
}

void CertManager::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void CertManager::RunOnce() {
  if (AcmeDirectoryOf(settings_).empty()) return;
  auto apps = store_.ListApps();
  if (!apps) {
    LogWarn("certificates: cannot list the apps: {}", apps.error().message);
    return;
  }
  for (const auto& app : *apps) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    Consider(app.name, now_());
  }
}

void CertManager::Consider(const std::string& app, int64_t now) {
  auto state = store_.GetCertAuto(app);
  if (!state || !state->enabled) return;
  auto certs = store_.ListCerts(app);
  auto release = store_.LatestRelease(app);
  auto domains = store_.ListDomains(app);
  if (!certs || !release || !*release || !domains) return;  // (not deployed yet, or gone meanwhile)
  const CertRecord* current = nullptr;
  for (const auto& c : *certs) {
    if (c.source == "manual") return;  // the app's own certificate (certs:add) is served instead
    if (c.source == "acme") current = &c;
  }
  auto names = AcmeNames(settings_, app, *domains, WildcardCoversDomain(settings_, store_));
  if (names.empty()) return;
  bool covers = current && std::all_of(names.begin(), names.end(), [&](const std::string& n) {
                  return std::find(current->names.begin(), current->names.end(), n) != current->names.end();
                });
  // Renewed 30 days before its end, or a third of its life for a shorter one.
  int64_t lifetime = current ? current->not_after - current->not_before : 0;
  int64_t window = current && current->not_before > 0 ? std::min(kRenewBeforeSeconds, lifetime / 3)
                                                       : kRenewBeforeSeconds;
  if (covers && current->not_after - now > window) return;
  if (state->next_attempt > now) return;
  auto app_record = store_.GetApp(app);
  if (!app_record) return;
  LogInfo("certificates: ordering one for {} ({})", app, fmt::join(names, ", "));
  auto r = Obtain(app, app_record->id, names);
  if (r) {
    state->status = "issued";
    state->last_error.clear();
    state->failures = 0;
    state->next_attempt = 0;
    LogInfo("certificates: {} has its certificate", app);
  } else {
    state->failures += 1;
    int64_t wait = kFirstRetrySeconds << std::min(state->failures - 1, 20);
    state->status = "failed";
    state->last_error = r.error().message;
    state->next_attempt = now + std::min(wait, kLongestRetrySeconds);
    LogWarn("certificates: {}: {} (next try in {} s)", app, r.error().message, std::min(wait, kLongestRetrySeconds));
  }
  if (auto saved = store_.PutCertAuto(*state); !saved) {
    LogWarn("certificates: cannot record the state of {}: {}", app, saved.error().message);
  }
}

Result<acme::AcmeClient*> CertManager::Client() {
  if (client_) return client_.get();
  auto path = settings_.data_dir / "acme" / "account.pem";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto key = in ? acme::AccountKey::FromPem(text.str()) : acme::AccountKey::Generate();
  if (!key) return std::unexpected(key.error());
  if (!in) {
    if (auto r = WriteSecretFile(path, key->Pem()); !r) return std::unexpected(r.error());
  }
  acme::AcmeOptions options{.directory = AcmeDirectoryOf(settings_),
                            .email = settings_.acme_email,
                            .ca_file = settings_.acme_ca_bundle,
                            .cancelled = [this] {
                              std::lock_guard lock(mu_);
                              return stopping_;
                            }};
  client_ = std::make_unique<acme::AcmeClient>(std::move(options), std::move(*key));
  return client_.get();
}

Result<void> CertManager::Obtain(const std::string& app, int64_t app_id, const std::vector<std::string>& names) {
  auto client = Client();
  if (!client) return std::unexpected(client.error());
  ProxyBoard board(proxy_);
  auto issued = (*client)->Issue(names, board);
  if (!issued) return std::unexpected(issued.error());
  auto bundle = ParseCertBundle(issued->key_pem + issued->chain_pem, now_());
  if (!bundle) return Failed(fmt::format("the certificate the ACME server issued is not usable: {}", bundle.error().message));
  const std::string file = CertFileName(app_id, "acme");
  if (auto r = WriteSecretFile(settings_.ProxyDir() / std::string(kCertsDir) / file, bundle->pem); !r) return r;
  CertRecord record{.app = app,
                    .source = "acme",
                    .names = bundle->names,
                    .issuer = bundle->issuer,
                    .key_type = bundle->key_type,
                    .not_before = bundle->not_before,
                    .not_after = bundle->not_after,
                    .file = file};
  if (auto r = store_.PutCert(record); !r) return r;
  return proxy_.WriteRoutes();
}

}  // namespace ms
