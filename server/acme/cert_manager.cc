#include "server/acme/cert_manager.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "server/certs/cert_bundle.h"
#include "server/certs/cert_files.h"
#include "server/common/log.h"
#include "server/common/sha256.h"

namespace ms {
namespace {

constexpr int64_t kRenewBeforeSeconds = 30 * 86400;
constexpr int64_t kFirstRetrySeconds = 60;
constexpr int64_t kLongestRetrySeconds = 86400;
// How often the thread looks without being woken: retries come due, and
// certificates near their end.
constexpr auto kLookEvery = std::chrono::seconds(60);

// The proxy as ACME's challenge board.
class ProxyBoard : public acme::ChallengeBoard {
 public:
  ProxyBoard(ProxyService& proxy, std::function<bool()> cancelled)
      : proxy_(proxy), cancelled_(std::move(cancelled)) {}
  Result<void> Publish(const std::string& token, const std::string& key_authorization) override {
    return proxy_.PublishChallenge(token, key_authorization, cancelled_);
  }
  void Withdraw(const std::string& token) override { proxy_.WithdrawChallenge(token); }

 private:
  ProxyService& proxy_;
  std::function<bool()> cancelled_;
};

}  // namespace

std::vector<AcmeWanted> AcmeHostsWanted(const Settings& settings, const std::vector<AcmeApp>& apps,
                                        bool wildcard_covers_domain) {
  std::vector<AcmeWanted> wanted;
  if (!settings.domain.empty() && !wildcard_covers_domain) wanted.push_back({settings.PlatformHost(), "", 0});
  for (const auto& app : apps) {
    if (!app.deployed || !app.auto_on) continue;
    std::vector<std::string> hosts;
    if (!settings.domain.empty() && !wildcard_covers_domain) hosts.push_back(app.name + "." + settings.domain);
    for (const auto& d : app.domains) {
      if (!d.starts_with("*.")) hosts.push_back(d);
    }
    for (const auto& host : hosts) {
      bool own = std::any_of(app.own_cert_names.begin(), app.own_cert_names.end(),
                             [&](const std::string& name) { return NameCovers(name, host); });
      if (!own) wanted.push_back({host, app.name, app.id});
    }
  }
  std::sort(wanted.begin(), wanted.end(), [](const AcmeWanted& a, const AcmeWanted& b) { return a.host < b.host; });
  return wanted;
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
  if (settings_.AcmeDirectory().empty()) return;
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

Result<AcmeApp> AcmeAppOf(Store& store, const App& app) {
  auto auto_on = store.GetCertAuto(app.name);
  if (!auto_on) return std::unexpected(auto_on.error());
  auto release = store.LatestRelease(app.name);
  if (!release) return std::unexpected(release.error());
  auto domains = store.ListDomains(app.name);
  if (!domains) return std::unexpected(domains.error());
  auto own = store.ListCerts(app.name);
  if (!own) return std::unexpected(own.error());
  AcmeApp a{.name = app.name, .id = app.id, .deployed = release->has_value(), .auto_on = *auto_on,
            .domains = std::move(*domains)};
  for (const auto& c : *own) a.own_cert_names.insert(a.own_cert_names.end(), c.names.begin(), c.names.end());
  return a;
}

Result<std::vector<AcmeApp>> CertManager::Apps() {
  auto apps = store_.ListApps();
  if (!apps) return std::unexpected(apps.error());
  std::vector<AcmeApp> out;
  for (const auto& app : *apps) {
    auto a = AcmeAppOf(store_, app);
    if (a) out.push_back(std::move(*a));  // (else gone meanwhile)
  }
  return out;
}

void CertManager::RunOnce() {
  if (settings_.AcmeDirectory().empty()) return;
  auto apps = Apps();
  auto rows = store_.ListAcmeHosts();
  if (!apps || !rows) {
    LogWarn("certificates: cannot read the apps: {}", (!apps ? apps.error() : rows.error()).message);
    return;
  }
  auto wanted = AcmeHostsWanted(settings_, *apps, WildcardCoversDomain(settings_, store_));
  std::map<std::string, AcmeHost> by_host;
  for (auto& row : *rows) by_host[row.host] = std::move(row);
  bool changed = false;
  // Hosts no longer wanted (a domain removed, an app renamed, certs:auto off,
  // a certificate of the app's own or the admin's wildcard instead) go.
  std::map<std::string, const AcmeWanted*> wanted_by_host;
  for (const auto& w : wanted) wanted_by_host[w.host] = &w;
  for (auto it = by_host.begin(); it != by_host.end();) {
    auto w = wanted_by_host.find(it->first);
    if (w != wanted_by_host.end() && w->second->app == it->second.app) {
      ++it;
      continue;
    }
    if (auto r = store_.RemoveAcmeHost(it->first); !r) LogWarn("certificates: {}", r.error().message);
    changed = changed || !it->second.cert.file.empty();
    it = by_host.erase(it);
  }
  if (changed) {
    if (auto r = proxy_.WriteRoutes(); !r) LogWarn("certificates: cannot update the proxy's routes: {}", r.error().message);
  }
  RemoveUnusedFiles();
  // No proxy answering yet (the daemon just started): nothing can be
  // validated; the hosts wait, none counted as failing.
  if (!wanted.empty() && !proxy_.Answering()) return;
  for (const auto& w : wanted) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto it = by_host.find(w.host);
    AcmeHost row = it != by_host.end() ? it->second : AcmeHost{.host = w.host, .app = w.app};
    if (it == by_host.end()) {
      if (auto r = store_.PutAcmeHost(row); !r) continue;  // its app went meanwhile
    }
    Consider(row, w.app_id, now_());
  }
}

// Files under certs/ of ACME that no row names (a host that went, or a crash
// between writing a file and recording it).
void CertManager::RemoveUnusedFiles() {
  auto rows = store_.ListAcmeHosts();
  if (!rows) return;
  std::set<std::string> used;
  for (const auto& row : *rows) used.insert(row.cert.file);
  const auto dir = settings_.ProxyDir() / std::string(kCertsDir);
  std::error_code ec;
  std::vector<std::filesystem::path> unused;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    bool acme = name.find("-acme-") != std::string::npos && name.ends_with(".pem");
    if (acme && !used.contains(name)) unused.push_back(entry.path());
  }
  for (const auto& path : unused) std::filesystem::remove(path, ec);
}

bool CertManager::Consider(AcmeHost& row, int64_t app_id, int64_t now) {
  const CertRecord& current = row.cert;
  bool have = !current.file.empty();
  // Renewed 30 days before its end, or a third of its life for a shorter one.
  int64_t lifetime = current.not_after - current.not_before;
  int64_t window = have && current.not_before > 0 ? std::min(kRenewBeforeSeconds, lifetime / 3) : kRenewBeforeSeconds;
  if (have && current.not_after - now > window) return false;
  if (row.next_attempt > now) return false;
  LogInfo("certificates: ordering one for {}{}", row.host, have ? " (renewal)" : "");
  auto r = Obtain(row, app_id);
  if (r) {
    row.status = "issued";
    row.last_error.clear();
    row.failures = 0;
    row.next_attempt = 0;
    LogInfo("certificates: {} has its certificate, until {}", row.host, row.cert.not_after);
  } else {
    row.failures += 1;
    int64_t wait = std::min(kFirstRetrySeconds << std::min(row.failures - 1, 20), kLongestRetrySeconds);
    row.status = "failing";
    row.last_error = r.error().message;
    row.next_attempt = now + wait;
    LogWarn("certificates: {}: {} (next try in {} s)", row.host, r.error().message, wait);
  }
  // The host may have gone during the order (a domain removed, the app
  // destroyed): its row is not made again (its file goes at the next pass).
  auto rows = store_.ListAcmeHosts();
  bool still = rows && std::any_of(rows->begin(), rows->end(), [&](const AcmeHost& h) {
                 return h.host == row.host && h.app == row.app;
               });
  if (!still) return false;
  if (auto saved = store_.PutAcmeHost(row); !saved) {
    LogWarn("certificates: cannot record the state of {}: {}", row.host, saved.error().message);
    return false;
  }
  if (!r) return false;
  if (auto routes = proxy_.WriteRoutes(); !routes) {
    LogWarn("certificates: cannot update the proxy's routes: {}", routes.error().message);
  }
  return true;
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
  acme::AcmeOptions options{.directory = settings_.AcmeDirectory(),
                            .email = settings_.acme_email,
                            .ca_file = settings_.acme_ca_bundle,
                            .cancelled = [this] {
                              std::lock_guard lock(mu_);
                              return stopping_;
                            }};
  client_ = std::make_unique<acme::AcmeClient>(std::move(options), std::move(*key));
  return client_.get();
}

Result<void> CertManager::Obtain(AcmeHost& row, int64_t app_id) {
  auto client = Client();
  if (!client) return std::unexpected(client.error());
  ProxyBoard board(proxy_, [this] {
    std::lock_guard lock(mu_);
    return stopping_;
  });
  auto issued = (*client)->Issue({row.host}, board);
  if (!issued) return std::unexpected(issued.error());
  auto bundle = ParseCertBundle(issued->key_pem + issued->chain_pem, now_());
  if (!bundle) return Failed(fmt::format("the certificate the ACME server issued is not usable: {}", bundle.error().message));
  const std::string file = AcmeCertFileName(app_id, row.host);
  if (auto r = WriteSecretFile(settings_.ProxyDir() / std::string(kCertsDir) / file, bundle->pem); !r) return r;
  row.cert = {.app = row.app,
              .source = "acme",
              .names = bundle->names,
              .issuer = bundle->issuer,
              .key_type = bundle->key_type,
              .not_before = bundle->not_before,
              .not_after = bundle->not_after,
              .file = file,
              // Names this issue: the proxy reloads a file whose version changed.
              .added_at = fmt::format("{}-{}", now_(), Sha256::Digest(bundle->pem).substr(7, 12))};
  return {};
}

}  // namespace ms
