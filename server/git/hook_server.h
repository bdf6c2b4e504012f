#pragma once
// HookServer: the daemon's end of the repositories' hooks. It listens on a unix
// socket in the data directory (mode 0600); `mothershipd hook pre-receive`,
// started by git during a push, connects, sends one request and receives the
// deploy's output as it is written, then its exit status: the hook protocol,
// server/contracts/hook_protocol.h.
// Each hook connection is served on its own thread. Start/Stop from one thread.

#include <atomic>
#include <filesystem>
#include <thread>

#include "server/common/result.h"
#include "server/common/thread_group.h"
#include "server/git/push_registry.h"
#include "server/services.h"

namespace ms {

class HookServer {
 public:
  HookServer(Services& services, PushRegistry& pushes, std::filesystem::path socket_path);
  ~HookServer();
  Result<void> Start();
  void Stop();

 private:
  void AcceptLoop();
  void Serve(int fd);

  Services& services_;
  PushRegistry& pushes_;
  std::filesystem::path socket_path_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  ThreadGroup connections_;
};

}  // namespace ms
