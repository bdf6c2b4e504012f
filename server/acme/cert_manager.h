#pragma once
// CertManager: the daemon's background work for ACME. One thread, never on a
// push's path (a deploy or a domain change only wakes it): for every app with
// certs:auto on that has been deployed and has no certificate of its own
// (certs:add), it wants one certificate naming APP.DOMAIN and the app's exact
// custom domains; it orders it when missing, when the names changed, or 30
// days before it expires. A failure is kept with its reason (certs:auto shows
// it) and tried again after 1 minute, then 2, 4 ... up to 24 hours.
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

// The ACME directory the settings ask for: acme_directory, or Let's Encrypt's
// when it is empty and DOMAIN can be public; "" when ACME is off.
std::string AcmeDirectoryOf(const Settings& settings);

// The names an app's ACME certificate is for: APP.DOMAIN (unless the admin's
// *.DOMAIN certificate covers it) and its exact custom domains (http-01
// cannot prove a wildcard).
std::vector<std::string> AcmeNames(const Settings& settings, const std::string& app,
                                   const std::vector<std::string>& domains, bool wildcard_covers_domain);


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
  // The app's certificate issued now if it is due; its state recorded.
  void Consider(const std::string& app, int64_t now);
  Result<void> Obtain(const std::string& app, int64_t app_id, const std::vector<std::string>& names);
  Result<acme::AcmeClient*> Client();

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
