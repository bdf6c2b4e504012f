#pragma once
// SshServer: the embedded SSH server (libssh). It accepts connections on the
// listening socket and serves each on its own thread (SshConnection), so a slow
// or stalled client never holds up another. Only public keys known to the key
// store authenticate. Listen and Serve run on the daemon's main thread; Stop may
// be called from any thread (a signal handler's watcher).

#include <libssh/libssh.h>
#include <libssh/server.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <vector>
#include <mutex>
#include <memory>
#include <optional>
#include <string>

#include "server/commands/dispatcher.h"
#include "server/common/result.h"
#include "server/common/thread_group.h"
#include "server/keys/sessions.h"

namespace ms {

struct SshServerOptions {
  std::string listen_address = "0.0.0.0";
  int port = 2222;
  std::filesystem::path host_key;
  int auth_timeout_seconds = 20;
  int idle_timeout_seconds = 600;
  int max_connections = 100;
  // Connections that have not authenticated yet: at most this many per source
  // address (more are closed at once), and at most half of max_connections
  // in all, so the rest stays for authenticated sessions. When that half is
  // full, a connection from an address holding fewer than the biggest holder
  // ends the biggest holder's oldest one: a flood from few addresses cannot
  // keep anyone else from reaching authentication.
  int max_unauthenticated_per_address = 20;
};

// Looks a key up by its SHA256 fingerprint; nullopt refuses it.
using Authenticate = std::function<std::optional<Caller>(const std::string& fingerprint)>;
using StartJob = std::function<Result<std::unique_ptr<Job>>(const ExecRequest&)>;

class SshServer {
 public:
  // `sessions` registers each authenticated connection (revoking its key ends it).
  SshServer(SshServerOptions options, Authenticate authenticate, Sessions& sessions, StartJob start);
  ~SshServer();

  // Binds and listens; returns the port (useful when options.port is 0).
  Result<int> Listen();
  // Accepts until Stop(); then waits for open connections to end.
  void Serve();
  void Stop() { stopping_ = true; }

 private:
  SshServerOptions options_;
  Authenticate authenticate_;
  Sessions& sessions_;
  StartJob start_;
  ssh_bind bind_ = nullptr;
  std::atomic<bool> stopping_{false};
  ThreadGroup connections_;
  // Connections not yet authenticated, by source address.
  // Takes a slot for the connection on `fd`; 0 when refused, else its ticket.
  uint64_t TakePreAuthSlot(const std::string& source, int fd);
  // Gives the ticket's slot back (authenticated or gone); a no-op when evicted.
  void GivePreAuthSlot(const std::string& source, uint64_t ticket);
  struct PreAuth {
    uint64_t ticket;
    int fd;
  };
  std::mutex preauth_mu_;
  std::map<std::string, std::vector<PreAuth>> preauth_by_source_;  // oldest first
  int preauth_total_ = 0;
  uint64_t next_ticket_ = 1;
  uint64_t refused_ = 0;
};

}  // namespace ms
