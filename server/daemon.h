#pragma once
// Daemon: mothershipd's composition root. It loads the settings, takes the data
// directory's lock, opens the store, builds every component with the
// collaborators it uses, tidies what an interrupted run left behind, and serves
// the hook socket and SSH until Stop. RunDaemon is the process's main: it adds
// the signal handling. Start and the destructor run on one thread; Stop may be
// called from any thread.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/common/result.h"
#include "server/config/settings.h"

namespace ms {

class AppRepos;
class DeployStep;
class Store;

// Makes the step pushes run, from the daemon's store and repositories.
using MakeDeployStep = std::function<std::unique_ptr<DeployStep>(Store&, AppRepos&)>;

struct DaemonFlags {
  std::filesystem::path data_dir;
  std::optional<int> ssh_port;
  std::optional<int> api_port;  // -1: none
  std::optional<std::string> listen_address;
  std::optional<std::string> domain;
  std::optional<std::filesystem::path> hooks_dir;
};

class Daemon {
 public:
  // Everything up to a listening SSH socket. make_deploy: the step pushes run
  // instead of the one the settings choose (tests bring theirs). Fails with what to do: bad settings, another daemon on the data
  // directory, no host key, a port in use.
  static Result<std::unique_ptr<Daemon>> Start(const DaemonFlags& flags, const MakeDeployStep& make_deploy = nullptr);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  int port() const;
  // The HTTP API's loopback port (0: none).
  int api_port() const;
  const Settings& settings() const;
  const std::string& host_key_fingerprint() const;
  // Accepts SSH connections until Stop; then waits for open ones to end.
  void Serve();
  void Stop();

 private:
  struct Parts;
  explicit Daemon(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// mothershipd's main: Start, then Serve until SIGTERM or SIGINT. The exit status.
int RunDaemon(const DaemonFlags& flags);

}  // namespace ms
