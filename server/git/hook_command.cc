// mothershipd hook pre-receive: git runs this (through hooks/pre-receive) while it
// receives a push. It forwards the ref updates to mothershipd over the hook socket
// and prints the deploy's output as it arrives; its exit status accepts or
// rejects the push.

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "server/git/hook_command.h"

namespace ms {
namespace {

int Reject(const char* message) {
  std::fprintf(stdout, "-----> %s\n", message);
  std::fflush(stdout);
  return 1;
}

}  // namespace

int HookCommand(const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0] != "pre-receive") {
    std::fprintf(stderr, "usage: mothershipd hook pre-receive (run by git, not by people)\n");
    return 2;
  }
  const char* socket_path = std::getenv("MOTHERSHIP_HOOK_SOCKET");
  const char* token = std::getenv("MOTHERSHIP_PUSH_TOKEN");
  if (!socket_path || !token) return Reject("Pushes to this repository go through mothershipd.");

  nlohmann::json request = {{"token", token}, {"updates", nlohmann::json::array()}};
  if (const char* quarantine = std::getenv("GIT_QUARANTINE_PATH")) request["objects_dir"] = quarantine;
  std::string old_sha, new_sha, ref;
  while (std::cin >> old_sha >> new_sha >> ref) {
    request["updates"].push_back({{"old", old_sha}, {"new", new_sha}, {"ref", ref}});
  }

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, socket_path, sizeof addr.sun_path - 1);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Reject("mothershipd is not answering on its hook socket; the push was rejected. "
                  "Try again once the server is running.");
  }
  std::string line = request.dump() + "\n";
  for (size_t sent = 0; sent < line.size();) {
    ssize_t n = ::write(fd, line.data() + sent, line.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Reject("lost the connection to mothershipd; the push was rejected.");
    sent += static_cast<size_t>(n);
  }

  std::string buffer;
  char chunk[8192];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buffer.append(chunk, static_cast<size_t>(n));
    size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      auto message = nlohmann::json::parse(buffer.substr(0, newline), nullptr, false);
      buffer.erase(0, newline + 1);
      if (message.is_discarded() || !message.is_object()) continue;
      if (message.contains("out") && message["out"].is_string()) {
        std::string text = message["out"];
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
      } else if (message.contains("exit") && message["exit"].is_number_integer()) {
        ::close(fd);
        return message["exit"].get<int>();
      }
    }
  }
  ::close(fd);
  return Reject("mothershipd closed the connection before the deploy finished; the push was "
                "rejected.");
}

}  // namespace ms
