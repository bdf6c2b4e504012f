#pragma once
// SshConnection: one client, from key exchange to disconnect, on one thread.
// It authenticates by public key only, takes one session channel with one exec
// (or shell) request, starts the Job for it, and moves bytes both ways between
// the channel and the Job's pipes with flow control, then sends the exit status.
// Connections that do not reach a command within the auth timeout, or see no
// data either way for the idle timeout, are closed; so are those whose key is
// revoked (Sessions).

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "server/ssh/ssh_server.h"

namespace ms {

// The client's address: "203.0.113.7:51234" / "[2001:db8::1]:51234", or the
// IP alone; "" when the socket has no peer.
std::string PeerAddress(socket_t fd, bool with_port);

class SshConnection {
 public:
  SshConnection(ssh_session session, const SshServerOptions& options, const Authenticate& authenticate,
                Sessions& sessions, const StartJob& start, const std::atomic<bool>& stopping,
                std::function<void()> on_authenticated);
  ~SshConnection();
  void Run();

 private:
  static int OnAuthPubkey(ssh_session, const char* user, ssh_key key, char state, void* self);
  static ssh_channel OnChannelOpen(ssh_session, void* self);
  static int OnExec(ssh_session, ssh_channel, const char* command, void* self);
  static int OnShell(ssh_session, ssh_channel, void* self);
  static int OnPty(ssh_session, ssh_channel, const char*, int, int, int, int, void* self);
  static int OnEnv(ssh_session, ssh_channel, const char* name, const char* value, void* self);
  static void OnChannelClose(ssh_session, ssh_channel, void* self);
  static int OnJobOutput(socket_t fd, int revents, void* self);
  static int OnJobStdinWritable(socket_t fd, int revents, void* self);

  bool Alive() const;
  void Bridge(Job& job);
  bool WriteToChannel(int fd, const char* data, size_t size);
  void FinishChannel(int exit_status);

  ssh_session session_;
  const SshServerOptions& options_;
  const Authenticate& authenticate_;
  Sessions& sessions_;
  const StartJob& start_;
  const std::atomic<bool>& stopping_;
  std::function<void()> on_authenticated_;  // once, when a key authenticates

  ssh_event event_ = nullptr;
  ssh_channel channel_ = nullptr;
  struct ssh_server_callbacks_struct server_cb_ {};
  struct ssh_channel_callbacks_struct channel_cb_ {};
  std::optional<Caller> caller_;
  std::shared_ptr<Session> registration_;  // set once authenticated; revoked: close
  int failed_auths_ = 0;
  std::optional<std::string> command_;
  std::map<std::string, std::string> env_;
  bool pty_ = false;  // the client asked for a terminal (ssh -t)

  // Bridge state.
  Job* job_ = nullptr;
  bool client_closed_channel_ = false;
  bool out_eof_ = false, err_eof_ = false, broken_ = false;
  std::string pending_stdin_;
  std::chrono::steady_clock::time_point last_activity_;
};

}  // namespace ms
