#pragma once
// CertManager: the daemon's background work for ACME. One thread, never on a
// push's path (a deploy or a domain change only wakes it). One certificate
// per host, as Heroku's ACM does, so that a custom domain whose DNS is not
// ready yet holds back only itself: each deployed app's APP.DOMAIN (unless
// the admin's *.DOMAIN certificate covers it) and exact custom domains, for
// apps with certs:auto on, except hosts the app's own certificate (certs:add)
// covers; and the platform's own mothership.DOMAIN. A host is ordered when it
// has no certificate, and again 30 days before its certificate ends (a third
// of its life for shorter ones). A failure is kept with its reason (certs and
// certs:auto show it) and tried again after 1 minute, then 2, 4 ... up to 24
// hours. Hosts no longer wanted lose their row and their file.
// Thread-safe: Wake from any thread.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/acme/acme_client.h"
#include "server/certs/wildcard_cert.h"
#include "server/common/result.h"
#include "server/config/settings.h"
#include "server/proxy/proxy_service.h"
#include "server/store/store.h"

namespace ms {


// An app as the manager sees it.
struct AcmeApp {
  std::string name{};
  int64_t id = 0;
  bool deployed = false;                      // it has a release
  bool auto_on = true;                        // certs:auto
  std::vector<std::string> domains{};         // its custom domains ("*." ones too)
  std::vector<std::string> own_cert_names{};  // its certs:add certificate's names
};

// The app as the manager sees it, from the store.
Result<AcmeApp> AcmeAppOf(Store& store, const App& app);

// A host ACME should hold a certificate for.
struct AcmeWanted {
  std::string host{};
  std::string app{};   // "": the platform's own host
  int64_t app_id = 0;  // 0: the platform's
};

// The hosts, by host: see the top of this file (http-01 cannot prove a
// wildcard, so "*." domains are not among them).
std::vector<AcmeWanted> AcmeHostsWanted(const Settings& settings, const std::vector<AcmeApp>& apps,
                                        bool wildcard_covers_domain);

class CertManager {
 public:
  // now: Unix seconds (tests move it).
  CertManager(const Settings& settings, Store& store, ProxyService& proxy,
              std::function<int64_t()> now = nullptr);
  ~CertManager();  // stops the thread

  // Starts the background thread (nothing when ACME is off).
  void Start();
  // Something changed (a deploy, a domain, certs:auto): look again now.
  void Wake();
  // One pass over every app; what the thread does each time it wakes. Public
  // for tests; not while the thread runs.
  void RunOnce();

 private:
  // The host's certificate ordered now if it is due; its state recorded.
  // True when the proxy's certificates changed.
  bool Consider(AcmeHost& row, int64_t app_id, int64_t now);
  Result<void> Obtain(AcmeHost& row, int64_t app_id);
  Result<acme::AcmeClient*> Client();
  Result<std::vector<AcmeApp>> Apps();
  void RemoveUnusedFiles();

  const Settings& settings_;
  Store& store_;
  ProxyService& proxy_;
  std::function<int64_t()> now_;
  std::unique_ptr<acme::AcmeClient> client_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ms
