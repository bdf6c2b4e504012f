#pragma once
// Services: the long-lived collaborators a command or a push works with, owned by
// the Daemon (or a test) and borrowed by reference everywhere else. All are
// thread-safe.

#include <filesystem>

#include "server/config/settings.h"
#include "server/git/app_locks.h"
#include "server/git/app_repos.h"
#include "server/keys/sessions.h"
#include "server/store/store.h"

namespace ms {

class Addons;
class Builder;
class CertManager;
class DeployStep;
class ProxyService;
class Runtime;

// The parts that run apps on Docker: always all of them, or none on a server
// that only records pushes (deploy_step: record, a host without Docker).
struct Engine {
  Builder& builder;
  Runtime& runtime;
  ProxyService& proxy;
  CertManager& certs;  // ACME (it does nothing when ACME is off)
  Addons& addons;      // databases of apps (addons:create)
};

struct Services {
  const Settings& settings;
  Store& store;
  AppRepos& repos;
  AppLocks& locks;
  DeployStep& deploy;
  Sessions& sessions;        // open SSH connections, to end a revoked key's
  Engine* engine = nullptr;  // null: deploy_step is record (see above)
};

}  // namespace ms
