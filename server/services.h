#pragma once
// Services: the long-lived collaborators a command or a push works with, owned by
// the Daemon (or a test) and borrowed by reference everywhere else. All are
// thread-safe.

#include <filesystem>

#include "server/config/settings.h"
#include "server/git/app_locks.h"
#include "server/git/app_repos.h"
#include "server/store/store.h"

namespace ms {

class Builder;
class DeployStep;
class ProxyService;
class Runtime;

struct Services {
  const Settings& settings;
  Store& store;
  AppRepos& repos;
  AppLocks& locks;
  DeployStep& deploy;
  Builder* builder = nullptr;  // null where Docker is not used (deploy_step: record)
  Runtime* runtime = nullptr;  // likewise
  ProxyService* proxy = nullptr;  // likewise
};

}  // namespace ms
