#include "server/api/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/api/websocket.h"
#include "server/commands/command.h"
#include "server/commands/router.h"
#include "server/common/log.h"
#include "server/common/shell_words.h"

namespace ms {
namespace {

constexpr size_t kMaxKeystrokes = 64 * 1024;  // one message from the browser

class NoInput : public Input {
 public:
  Result<std::string> ReadAll(size_t) override { return std::string(); }
};

// Frames to the browser, from the command's thread and the connection's.
class Frames {
 public:
  explicit Frames(int fd) : fd_(fd) {}
  bool Send(WebSocketOpcode opcode, std::string_view payload) {
    std::string frame = WebSocketFrame(opcode, payload);
    std::lock_guard lock(mu_);
    if (gone_) return false;
    for (size_t at = 0; at < frame.size();) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 30'000) <= 0) return Gone();
      ssize_t n = ::send(fd_, frame.data() + at, frame.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return Gone();
      at += static_cast<size_t>(n);
    }
    return true;
  }

 private:
  bool Gone() {
    gone_ = true;
    return false;
  }
  int fd_;
  std::mutex mu_;
  bool gone_ = false;
};

}  // namespace

void ServeTerminal(FdStream& stream, std::string_view early, Services& services, const Caller& caller,
                   const std::string& app, const std::string& command_line, std::string_view websocket_key) {
  std::string head = fmt::format(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: {}\r\n\r\n",
      WebSocketAccept(websocket_key));
  boost::system::error_code ec;
  boost::asio::write(stream, boost::asio::buffer(head), ec);
  if (ec) return;
  const int fd = stream.fd();
  Frames frames(fd);

  auto words = SplitShellWords(command_line);
  if (!words || words->empty()) {
    frames.Send(kWsText, nlohmann::json{{"error", words ? "type a command to run (bash, for one)"
                                                        : words.error().message}}.dump());
    frames.Send(kWsClose, "");
    return;
  }
  // The process's stdin: keystrokes go in at one end, the runtime reads the other.
  int keys[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, keys) != 0) {
    frames.Send(kWsText, nlohmann::json{{"error", "the server cannot make a pipe; the log says why"}}.dump());
    return;
  }
  int done_pipe[2];
  if (::pipe2(done_pipe, O_CLOEXEC) != 0) {
    ::close(keys[0]);
    ::close(keys[1]);
    return;
  }
  std::atomic<bool> browser_gone{false};
  std::thread command([&] {
    LambdaOutput out([&](std::string_view data) {
      if (!frames.Send(kWsBinary, data)) browser_gone = true;
    });
    NoInput in;
    CommandContext ctx{services, caller, out, out, in, false, true, keys[1], [&] { return browser_gone.load(); }, 0};
    std::vector<std::string> argv = {"run", app};
    argv.insert(argv.end(), words->begin(), words->end());
    Error failure;
    int status = RunCommand(ctx, argv, &failure);
    nlohmann::json end = failure.message.empty() || status == 0 ? nlohmann::json{{"exit", status}}
                                                                 : nlohmann::json{{"error", failure.message}};
    frames.Send(kWsText, end.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    frames.Send(kWsClose, "");
    (void)!::write(done_pipe[1], "x", 1);
  });

  WebSocketReader reader(kMaxKeystrokes);
  std::vector<WebSocketMessage> messages;
  auto handle = [&](std::string_view bytes) {
    messages.clear();
    if (auto fed = reader.Feed(bytes, messages); !fed) return false;
    for (auto& m : messages) {
      switch (m.opcode) {
        case kWsText:
        case kWsBinary:
          for (size_t at = 0; at < m.payload.size();) {
            ssize_t n = ::send(keys[0], m.payload.data() + at, m.payload.size() - at, MSG_NOSIGNAL);
            if (n <= 0) break;
            at += static_cast<size_t>(n);
          }
          break;
        case kWsPing: frames.Send(kWsPong, m.payload); break;
        case kWsClose: return false;
        default: break;
      }
    }
    return true;
  };
  bool open = handle(early);
  char buf[16 * 1024];
  while (open) {
    pollfd p[2] = {{fd, POLLIN, 0}, {done_pipe[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    open = handle(std::string_view(buf, static_cast<size_t>(n)));
  }
  // The browser left (or the process ended): end its stdin, stop following.
  browser_gone = true;
  ::shutdown(keys[0], SHUT_RDWR);
  command.join();
  for (int f : {keys[0], keys[1], done_pipe[0], done_pipe[1]}) ::close(f);
}

}  // namespace ms
