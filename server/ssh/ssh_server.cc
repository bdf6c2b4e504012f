#include "server/ssh/ssh_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "server/common/log.h"
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
    connections_.Spawn([this, session] {
      SshConnection connection(session, options_, authenticate_, sessions_, start_, stopping_);
      connection.Run();
    });
  }
  connections_.JoinAll();
}

}  // namespace ms
