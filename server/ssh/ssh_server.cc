#include "server/ssh/ssh_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "server/common/log.h"

#include <algorithm>
#include <utility>
#include "server/ssh/ssh_connection.h"

namespace ms {

SshServer::SshServer(SshServerOptions options, Authenticate authenticate, Sessions& sessions, StartJob start)
    : options_(std::move(options)), authenticate_(std::move(authenticate)), sessions_(sessions),
      start_(std::move(start)) {
  ssh_init();
}

SshServer::~SshServer() {
  stopping_ = true;
  connections_.JoinAll();
  if (bind_) ssh_bind_free(bind_);
  ssh_finalize();
}

Result<int> SshServer::Listen() {
  bind_ = ssh_bind_new();
  if (!bind_) return Failed("cannot create the SSH listener");
  bool process_config = false;
  std::string port = std::to_string(options_.port);
  ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_PROCESS_CONFIG, &process_config);
  ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_BINDADDR, options_.listen_address.c_str());
  ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_BINDPORT_STR, port.c_str());
  if (ssh_bind_options_set(bind_, SSH_BIND_OPTIONS_HOSTKEY, options_.host_key.c_str()) != SSH_OK) {
    return Failed(fmt::format("cannot use host key {}: {}", options_.host_key.string(),
                              ssh_get_error(bind_)));
  }
  if (ssh_bind_listen(bind_) != SSH_OK) {
    return Unavailable(fmt::format("cannot listen for SSH on {}:{}: {}", options_.listen_address,
                                   options_.port, ssh_get_error(bind_)));
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(ssh_bind_get_fd(bind_), reinterpret_cast<sockaddr*>(&addr), &len);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

void SshServer::Serve() {
  int fd = ssh_bind_get_fd(bind_);
  while (!stopping_) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    ssh_session session = ssh_new();
    if (!session) continue;
    if (ssh_bind_accept(bind_, session) != SSH_OK) {
      ssh_free(session);
      continue;
    }
    if (connections_.Count() >= options_.max_connections) {
      LogWarn("ssh: refusing a connection: {} connections are open (ssh_max_connections)",
              options_.max_connections);
      ssh_disconnect(session);
      ssh_free(session);
      continue;
    }
    std::string source = PeerAddress(ssh_get_fd(session), false);
    uint64_t ticket = TakePreAuthSlot(source, ssh_get_fd(session));
    if (ticket == 0) {
      ssh_disconnect(session);
      ssh_free(session);
      continue;
    }
    connections_.Spawn([this, session, source, ticket] {
      // Given back before the connection (and its socket) is gone: an
      // eviction never shuts down a socket number reused by another.
      bool holds_slot = true;
      auto give_back = [this, &holds_slot, &source, ticket] {
        if (std::exchange(holds_slot, false)) GivePreAuthSlot(source, ticket);
      };
      SshConnection connection(session, options_, authenticate_, sessions_, start_, stopping_, give_back);
      connection.Run();
      give_back();
    });
  }
  connections_.JoinAll();
}

uint64_t SshServer::TakePreAuthSlot(const std::string& source, int fd) {
  std::lock_guard lock(preauth_mu_);
  int max_total = std::max(1, options_.max_connections / 2);
  auto found = preauth_by_source_.find(source);
  size_t mine = found == preauth_by_source_.end() ? 0 : found->second.size();
  bool refuse = mine >= static_cast<size_t>(options_.max_unauthenticated_per_address);
  if (!refuse && preauth_total_ >= max_total) {
    // Full: the biggest holder gives up its oldest, if it holds more than this address.
    auto biggest = preauth_by_source_.end();
    for (auto it = preauth_by_source_.begin(); it != preauth_by_source_.end(); ++it) {
      if (biggest == preauth_by_source_.end() || it->second.size() > biggest->second.size()) biggest = it;
    }
    if (biggest != preauth_by_source_.end() && biggest->second.size() > mine + 1) {
      ::shutdown(biggest->second.front().fd, SHUT_RDWR);  // its thread sees the end and returns
      biggest->second.erase(biggest->second.begin());
      if (biggest->second.empty()) preauth_by_source_.erase(biggest);
      --preauth_total_;
    } else {
      refuse = true;
    }
  }
  if (refuse) {
    // One line per hundred refusals: a flood must not flood the log too.
    if (++refused_ % 100 == 1) {
      LogWarn("ssh: refusing connections that have not authenticated: {} from {} (at most {}), {} in all (at most "
              "{}); {} refused so far",
              mine, source, options_.max_unauthenticated_per_address, preauth_total_, max_total, refused_);
    }
    return 0;
  }
  uint64_t ticket = next_ticket_++;
  preauth_by_source_[source].push_back({ticket, fd});
  ++preauth_total_;
  return ticket;
}

void SshServer::GivePreAuthSlot(const std::string& source, uint64_t ticket) {
  std::lock_guard lock(preauth_mu_);
  auto it = preauth_by_source_.find(source);
  if (it == preauth_by_source_.end()) return;
  auto& list = it->second;
  auto entry = std::find_if(list.begin(), list.end(), [ticket](const PreAuth& p) { return p.ticket == ticket; });
  if (entry == list.end()) return;  // evicted
  list.erase(entry);
  if (list.empty()) preauth_by_source_.erase(it);
  --preauth_total_;
}

}  // namespace ms
