#include "server/ssh/ssh_connection.h"

#include <errno.h>
#include <fmt/format.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/common/log.h"
#include "server/keys/public_key.h"

namespace ms {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

std::string PeerAddress(socket_t fd, bool with_port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char host[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return with_port ? fmt::format("{}:{}", host, ntohs(in->sin_port)) : std::string(host);
  }
  if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return with_port ? fmt::format("[{}]:{}", host, ntohs(in6->sin6_port)) : std::string(host);
  }
  return "";
}

namespace {
constexpr size_t kChunk = 64 * 1024;
constexpr int kMaxFailedAuths = 20;

}  // namespace

SshConnection::SshConnection(ssh_session session, const SshServerOptions& options,
                             const Authenticate& authenticate, Sessions& sessions, const StartJob& start,
                             const std::atomic<bool>& stopping, std::function<void()> on_authenticated)
    : session_(session), options_(options), authenticate_(authenticate), sessions_(sessions), start_(start),
      stopping_(stopping), on_authenticated_(std::move(on_authenticated)) {}

SshConnection::~SshConnection() {
  if (event_) ssh_event_free(event_);
  if (channel_) ssh_channel_free(channel_);
  ssh_disconnect(session_);
  ssh_free(session_);
}

int SshConnection::OnAuthPubkey(ssh_session, const char*, ssh_key key, char state, void* p) {
  auto* self = static_cast<SshConnection*>(p);
  auto fingerprint = Fingerprint(key);
  std::optional<Caller> caller;
  if (fingerprint) caller = self->authenticate_(*fingerprint);
  if (!caller) {
    ++self->failed_auths_;
    return SSH_AUTH_DENIED;
  }
  if (state == SSH_PUBLICKEY_STATE_NONE) return SSH_AUTH_SUCCESS;  // "this key would do"
  if (state != SSH_PUBLICKEY_STATE_VALID) {
    ++self->failed_auths_;
    return SSH_AUTH_DENIED;
  }
  self->caller_ = caller;
  self->caller_->address = PeerAddress(ssh_get_fd(self->session_), true);
  if (self->on_authenticated_) self->on_authenticated_();
  self->registration_ = self->sessions_.Open(*fingerprint);
  return SSH_AUTH_SUCCESS;
}

ssh_channel SshConnection::OnChannelOpen(ssh_session session, void* p) {
  auto* self = static_cast<SshConnection*>(p);
  if (!self->caller_ || self->channel_) return nullptr;  // one session channel per connection
  self->channel_ = ssh_channel_new(session);
  ssh_callbacks_init(&self->channel_cb_);
  self->channel_cb_.userdata = self;
  self->channel_cb_.channel_exec_request_function = OnExec;
  self->channel_cb_.channel_shell_request_function = OnShell;
  self->channel_cb_.channel_pty_request_function = OnPty;
  self->channel_cb_.channel_env_request_function = OnEnv;
  self->channel_cb_.channel_close_function = OnChannelClose;
  ssh_set_channel_callbacks(self->channel_, &self->channel_cb_);
  return self->channel_;
}

int SshConnection::OnExec(ssh_session, ssh_channel, const char* command, void* p) {
  auto* self = static_cast<SshConnection*>(p);
  if (self->command_) return SSH_ERROR;
  self->command_ = command;
  return SSH_OK;
}

int SshConnection::OnShell(ssh_session, ssh_channel, void* p) {
  auto* self = static_cast<SshConnection*>(p);
  if (self->command_) return SSH_ERROR;
  self->command_ = "help";  // `ssh git@host` with no command shows the commands
  return SSH_OK;
}

int SshConnection::OnPty(ssh_session, ssh_channel, const char*, int, int, int, int, void* p) {
  static_cast<SshConnection*>(p)->pty_ = true;
  return SSH_OK;
}

int SshConnection::OnEnv(ssh_session, ssh_channel, const char* name, const char* value, void* p) {
  auto* self = static_cast<SshConnection*>(p);
  if (std::string_view(name) == "GIT_PROTOCOL" && std::string_view(value).size() < 256) {
    self->env_[name] = value;
    return SSH_OK;
  }
  return SSH_ERROR;  // other variables are not passed on
}

void SshConnection::OnChannelClose(ssh_session, ssh_channel, void* p) {
  static_cast<SshConnection*>(p)->client_closed_channel_ = true;
}

bool SshConnection::Alive() const {
  int status = ssh_get_status(session_);
  if (registration_ && registration_->revoked) return false;
  return !(status & (SSH_CLOSED | SSH_CLOSED_ERROR)) && !stopping_;
}

void SshConnection::Run() {
  ssh_callbacks_init(&server_cb_);
  server_cb_.userdata = this;
  server_cb_.auth_pubkey_function = OnAuthPubkey;
  server_cb_.channel_open_request_session_function = OnChannelOpen;
  ssh_set_server_callbacks(session_, &server_cb_);
  ssh_set_auth_methods(session_, SSH_AUTH_METHOD_PUBLICKEY);
  long timeout = options_.auth_timeout_seconds;
  ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &timeout);

  // One budget for the key exchange and authentication together.
  auto deadline = Clock::now() + std::chrono::seconds(options_.auth_timeout_seconds);
  if (ssh_handle_key_exchange(session_) != SSH_OK) return;
  event_ = ssh_event_new();
  if (!event_ || ssh_event_add_session(event_, session_) != SSH_OK) return;

  while (!command_ && Alive()) {
    if (Clock::now() > deadline) {
      LogInfo("ssh: closing a connection that did not authenticate and run a command in {} s",
              options_.auth_timeout_seconds);
      return;
    }
    if (failed_auths_ > kMaxFailedAuths) return;
    if (ssh_event_dopoll(event_, 200) == SSH_ERROR) return;
  }
  if (!command_ || !channel_ || !caller_) return;

  timeout = options_.idle_timeout_seconds;
  ssh_options_set(session_, SSH_OPTIONS_TIMEOUT, &timeout);
  ExecRequest request{*command_, *caller_, env_, pty_};
  auto job = start_(request);
  if (!job) {
    std::string message = fmt::format("error: {}\n", job.error().message);
    ssh_channel_write_stderr(channel_, message.data(), static_cast<uint32_t>(message.size()));
    FinishChannel(1);
    return;
  }
  Bridge(**job);
}

bool SshConnection::WriteToChannel(int fd, const char* data, size_t size) {
  while (size > 0) {
    int n = fd == job_->stderr_fd()
                ? ssh_channel_write_stderr(channel_, data, static_cast<uint32_t>(size))
                : ssh_channel_write(channel_, data, static_cast<uint32_t>(size));
    if (n == SSH_ERROR) return false;
    if (n == 0) {
      // The window stayed shut for the whole timeout: the client stopped reading.
      if (!Alive() || Clock::now() - last_activity_ > std::chrono::seconds(options_.idle_timeout_seconds)) {
        return false;
      }
      continue;
    }
    last_activity_ = Clock::now();
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

int SshConnection::OnJobOutput(socket_t fd, int, void* p) {
  auto* self = static_cast<SshConnection*>(p);
  char buf[kChunk];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  if (n <= 0) {
    (fd == self->job_->stdout_fd() ? self->out_eof_ : self->err_eof_) = true;
    return 0;
  }
  if (!self->broken_ && !self->WriteToChannel(fd, buf, static_cast<size_t>(n))) self->broken_ = true;
  return 0;
}

int SshConnection::OnJobStdinWritable(socket_t, int, void*) { return 0; }

void SshConnection::Bridge(Job& job) {
  job_ = &job;
  last_activity_ = Clock::now();
  ssh_event_add_fd(event_, job.stdout_fd(), POLLIN, OnJobOutput, this);
  ssh_event_add_fd(event_, job.stderr_fd(), POLLIN, OnJobOutput, this);
  bool stdin_watched = false;
  bool out_watched = true, err_watched = true;
  char buf[kChunk];

  while (!(out_eof_ && err_eof_)) {
    if (broken_ || !Alive()) break;
    if (Clock::now() - last_activity_ > std::chrono::seconds(options_.idle_timeout_seconds)) {
      LogInfo("ssh: closing an idle connection ({} s without data)", options_.idle_timeout_seconds);
      break;
    }
    if (ssh_event_dopoll(event_, 500) == SSH_ERROR && !Alive()) break;

    // Client -> job stdin, only while the job keeps up (the channel window does the rest).
    if (job.stdin_fd() >= 0) {
      for (;;) {
        if (!pending_stdin_.empty()) {
          ssize_t n = ::write(job.stdin_fd(), pending_stdin_.data(), pending_stdin_.size());
          if (n > 0) {
            pending_stdin_.erase(0, static_cast<size_t>(n));
          } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            pending_stdin_.clear();  // the job stopped reading its input
            if (stdin_watched) ssh_event_remove_fd(event_, job.stdin_fd()), stdin_watched = false;
            job.CloseStdin();
            break;
          }
          if (!pending_stdin_.empty()) break;
        }
        int n = ssh_channel_read_nonblocking(channel_, buf, sizeof buf, 0);
        if (n > 0) {
          last_activity_ = Clock::now();
          pending_stdin_.assign(buf, static_cast<size_t>(n));
          continue;
        }
        if (n == SSH_ERROR || ssh_channel_is_eof(channel_)) {
          if (stdin_watched) ssh_event_remove_fd(event_, job.stdin_fd()), stdin_watched = false;
          job.CloseStdin();
        }
        break;
      }
      bool want = job.stdin_fd() >= 0 && !pending_stdin_.empty();
      if (want && !stdin_watched) {
        ssh_event_add_fd(event_, job.stdin_fd(), POLLOUT, OnJobStdinWritable, this);
        stdin_watched = true;
      } else if (!want && stdin_watched) {
        ssh_event_remove_fd(event_, job.stdin_fd());
        stdin_watched = false;
      }
    }
    if (out_eof_ && out_watched) ssh_event_remove_fd(event_, job.stdout_fd()), out_watched = false;
    if (err_eof_ && err_watched) ssh_event_remove_fd(event_, job.stderr_fd()), err_watched = false;
  }
  if (stdin_watched) ssh_event_remove_fd(event_, job.stdin_fd());
  if (out_watched) ssh_event_remove_fd(event_, job.stdout_fd());
  if (err_watched) ssh_event_remove_fd(event_, job.stderr_fd());

  if (out_eof_ && err_eof_ && !broken_ && Alive()) {
    int status = job.Wait();
    FinishChannel(status);
  } else {
    // The client left (or the daemon stops): let the job see it and end.
    job.Cancel();
    job.CloseStdin();
    job.CloseStdout();
    job.CloseStderr();
  }
  job_ = nullptr;
}

void SshConnection::FinishChannel(int exit_status) {
  ssh_channel_request_send_exit_status(channel_, exit_status);
  ssh_channel_send_eof(channel_);
  ssh_channel_close(channel_);
  // Give the client a moment to read everything and close its side.
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Alive() && !client_closed_channel_ && Clock::now() < deadline) {
    if (ssh_event_dopoll(event_, 100) == SSH_ERROR) break;
  }
}

}  // namespace ms
