#pragma once
// The Swarm service of one process type of one app release (APP-TYPE), as a
// ServiceSpec (server/docker/engine_types.h). Pure function, so the choices are in one place
// and unit-tested:
// - the release's image; the Procfile command as the argument of the image's
//   entrypoint (mothership-launch sources .profile.d, then runs it with bash);
// - config vars plus PORT, MOTHERSHIP_APP/_RELEASE/_PROCESS and DYNO (type.slot);
// - endpoint mode dnsrr (no IPVS here), the app's overlay network (alias TYPE),
//   and no other: apps cannot reach each other's tasks (the proxy joins each
//   app's network to reach its web tasks);
// - web gets a health check: TCP connect to $PORT, or an HTTP GET of a path;
// - start-first rolling updates, one task at a time, rolled back on failure
//   (stop-first, pinned to its node, for an app with storage mounted);
//   restart on failure; a stop grace period; json-file logs with rotation;
// - the memory, CPU and process limits of the type's size;
// - no capabilities (the image's user, uid 1000 for buildpack apps, and the
//   launcher's no-new-privs do the rest); config values reach the process
//   byte for byte, never as Swarm templates.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/docker/engine_types.h"
#include "server/store/store.h"

namespace ms {

inline constexpr int kAppPort = 5000;  // PORT inside every task

struct ProcessSpec {
  std::string app;
  std::string install;  // Settings::InstallId()
  std::string type;     // "web"
  std::string command;  // from the Procfile
  int replicas = 1;
  const Release* release = nullptr;
  std::string check_path;  // web only; "": TCP connect
  std::string app_network;
  int stop_grace_seconds = 10;
  double update_monitor_seconds = 0.5;
  uint64_t force_update = 0;  // bumped to restart the tasks
  ResourceLimits limits;      // of its size (server/config/process_sizes.h)
  std::string size;           // its name, kept as the label mothership.size
  bool stopped = false;       // ps:stop: replicas 0, kept as the label mothership.stopped
  // Storage mounts (storage:mount): volumes at paths; with any, the service
  // is pinned to storage_node and rolled stop-first.
  std::vector<BindMount> storage;
  std::string storage_node;
};

// A health check path: "/..." of printable characters without quotes or
// backslashes (it goes into the check's shell command), at most 200 long.
bool IsCheckPath(const std::string& path);

std::string ServiceName(const std::string& app, const std::string& type);
// Swarm expands Go templates ({{.Node.Hostname}}) in a service's Env: a value
// with "{{" written so that the task gets it as it is.
std::string EscapeSwarmTemplate(std::string_view value);
std::string AppNetworkName(const std::string& app);
ServiceSpec MakeServiceSpec(const ProcessSpec& p);

}  // namespace ms
