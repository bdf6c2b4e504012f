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
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "server/common/utf8.h"
#include "server/contracts/hook_protocol.h"
#include "server/git/hook_command.h"

namespace ms {
namespace {

int Reject(const std::string& message) {
  std::fprintf(stdout, "-----> %s\n", message.c_str());
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

  contracts::HookRequest request{.token = token};
  if (const char* quarantine = std::getenv("GIT_QUARANTINE_PATH")) request.objects_dir = quarantine;
  contracts::HookRefUpdate update;
  while (std::cin >> update.old_sha >> update.new_sha >> update.ref) {
    // The request is JSON, which has no room for other bytes: say so rather
    // than deploy from a name with its bytes replaced.
    if (size_t bad = FirstInvalidUtf8(update.ref); bad != update.ref.size()) {
      return Reject(fmt::format("The push was rejected: the name {} is not UTF-8 text (byte {} is not). "
                                "Rename it (git branch -m) and push again.",
                                update.ref, bad + 1));
    }
    request.updates.push_back(update);
  }

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, socket_path, sizeof addr.sun_path - 1);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Reject("mothershipd is not answering on its hook socket; the push was rejected. "
                  "Try again once the server is running.");
  }
  std::string line = contracts::ToJson(request);
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
      auto message = contracts::ParseHookMessage(std::string_view(buffer).substr(0, newline));
      buffer.erase(0, newline + 1);
      if (!message) continue;
      if (const auto* out = std::get_if<contracts::HookOut>(&*message)) {
        std::fwrite(out->text.data(), 1, out->text.size(), stdout);
        std::fflush(stdout);
      } else {
        ::close(fd);
        return std::get<contracts::HookExit>(*message).status;
      }
    }
  }
  ::close(fd);
  return Reject("mothershipd closed the connection before the deploy finished; the push was "
                "rejected.");
}

}  // namespace ms
