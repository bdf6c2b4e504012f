#include "server/git/hook_server.h"

#include <errno.h>
#include <fmt/format.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/common/log.h"
#include "server/contracts/hook_protocol.h"
#include "server/git/pre_receive.h"
#include "server/process/job.h"

namespace ms {
namespace {

// Sends each write to the hook as {"out": ...}; a hook that went away is ignored
// (the deploy still finishes and is recorded).
class HookOutput : public Output {
 public:
  explicit HookOutput(int fd) : writer_(fd) {}
  void Write(std::string_view data) override {
    writer_.Write(contracts::ToJson(contracts::HookOut{std::string(data)}));
  }
  void Exit(int status) { writer_.Write(contracts::ToJson(contracts::HookExit{status})); }

 private:
  FdWriter writer_;
};

// Reads one line (the request), at most 1 MiB, waiting at most 30 s.
Result<std::string> ReadLine(int fd) {
  std::string line;
  char c;
  while (line.size() < (1 << 20)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 30000) <= 0) return Failed("timed out reading the hook request");
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Failed("the hook closed the connection");
    if (c == '\n') return line;
    line.push_back(c);
  }
  return Failed("hook request too long");
}

}  // namespace

HookServer::HookServer(Services& services, PushRegistry& pushes, std::filesystem::path socket_path)
    : services_(services), pushes_(pushes), socket_path_(std::move(socket_path)) {}

HookServer::~HookServer() { Stop(); }

Result<void> HookServer::Start() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.string().size() >= sizeof addr.sun_path) {
    return Failed(fmt::format("the hook socket path {} is too long; use a shorter data directory",
                              socket_path_.string()));
  }
  std::error_code ec;
  std::filesystem::create_directories(socket_path_.parent_path(), ec);
  std::filesystem::remove(socket_path_, ec);
  strncpy(addr.sun_path, socket_path_.c_str(), sizeof addr.sun_path - 1);
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Failed(fmt::format("cannot create the hook socket: {}", strerror(errno)));
  mode_t old = umask(077);
  int rc = bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old);
  if (rc != 0 || listen(listen_fd_, 64) != 0) {
    return Failed(fmt::format("cannot listen on {}: {}", socket_path_.string(), strerror(errno)));
  }
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return {};
}

void HookServer::Stop() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  connections_.JoinAll();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    std::error_code ec;
    std::filesystem::remove(socket_path_, ec);
  }
}

void HookServer::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    connections_.Spawn([this, fd] {
      Serve(fd);
      ::close(fd);
    });
  }
}

void HookServer::Serve(int fd) {
  HookOutput out(fd);
  auto line = ReadLine(fd);
  if (!line) {
    LogWarn("hook: {}", line.error().message);
    return;
  }
  auto request = contracts::ParseHookRequest(*line);
  if (!request) {
    LogWarn("hook: {}", request.error().message);
    out.Write("-----> Malformed hook request; push rejected.\n");
    out.Exit(1);
    return;
  }
  auto push = pushes_.Find(request->token);
  if (!push) {
    out.Write("-----> This push did not come through mothershipd; rejected.\n");
    out.Exit(1);
    return;
  }
  std::vector<RefUpdate> updates;
  for (auto& u : request->updates) {
    updates.push_back({std::move(u.old_sha), std::move(u.new_sha), std::move(u.ref)});
  }
  std::filesystem::path objects_dir;
  if (!request->objects_dir.empty()) {
    objects_dir = request->objects_dir;
    // Only git's own quarantine inside this app's repository is accepted.
    auto repo = services_.repos.PathOf(push->app).lexically_normal().string();
    auto normal = objects_dir.lexically_normal().string();
    if (!normal.starts_with(repo + "/")) objects_dir.clear();
  }
  int status = 1;
  try {
    status = RunPreReceive(services_, *push, updates, objects_dir, out);
  } catch (const std::exception& e) {
    // A bug, not the push's fault: the push is refused with the reason, the daemon goes on.
    LogError("hook: internal error in the push to {}: {}", push->app, e.what());
    out.Write(fmt::format("-----> Internal error: {}\n-----> The push was rejected; {} is unchanged.\n", e.what(),
                          push->app));
  }
  out.Exit(status);
}

}  // namespace ms
