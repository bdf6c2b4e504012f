#include "proxy/edge.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace ms::proxy {
namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxPending = 20000;
// How long a connection waits for a worker (one starting, or being replaced
// after a crash) before it is closed.
constexpr auto kPendingFor = std::chrono::seconds(30);

}  // namespace

// One message: the tag byte, with room for one descriptor.
struct DescriptorMessage {
  explicit DescriptorMessage(char* tag) : iov{tag, 1} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  msghdr msg{};
  iovec iov;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
};

bool SendDescriptor(int unix_socket, int fd, char tag) {
  DescriptorMessage m(&tag);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&m.msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  return ::sendmsg(unix_socket, &m.msg, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
}

int ReceiveDescriptor(int unix_socket, char& tag, bool& closed) {
  DescriptorMessage m(&tag);
  ssize_t n = ::recvmsg(unix_socket, &m.msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  if (n != 1) return -1;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&m.msg);
  if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) return -1;
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

Edge::~Edge() {
  for (const auto& p : pending_) ::close(p.fd);
}

void Edge::Listen(const std::string& host, uint16_t port, char tag) {
  auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(io_);
  asio::ip::tcp::endpoint ep(asio::ip::make_address(host), port);
  acceptor->open(ep.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  acceptor->bind(ep);
  acceptor->listen(4096);
  ports_.push_back(acceptor->local_endpoint().port());
  acceptors_.push_back(std::move(acceptor));
  tags_.push_back(tag);
}

void Edge::Start() {
  std::error_code ec;
  std::filesystem::remove(socket_path_, ec);
  workers_acceptor_ = std::make_unique<asio::local::stream_protocol::acceptor>(
      io_, asio::local::stream_protocol::endpoint(socket_path_));
  for (size_t i = 0; i < acceptors_.size(); ++i) asio::co_spawn(io_, Accept(*acceptors_[i], tags_[i]), asio::detached);
  asio::co_spawn(io_, AcceptWorkers(), asio::detached);
  asio::co_spawn(io_, ExpirePending(), asio::detached);
}

asio::awaitable<void> Edge::Accept(asio::ip::tcp::acceptor& acceptor, char tag) {
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      asio::steady_timer pause(io_, std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    Hand(socket.release(), tag);
  }
}

void Edge::Hand(int fd, char tag) {
  if (pending_.empty()) {
    while (!workers_.empty()) {
      if (SendDescriptor(workers_.back()->native_handle(), fd, tag)) {
        ::close(fd);
        return;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // busy: queue it
      workers_.pop_back();  // gone
    }
  }
  if (pending_.size() >= kMaxPending) {
    ::close(fd);
    return;
  }
  pending_.push_back({fd, tag, std::chrono::steady_clock::now()});
}

void Edge::Flush() {
  while (!pending_.empty() && !workers_.empty()) {
    const Pending& p = pending_.front();
    if (!SendDescriptor(workers_.back()->native_handle(), p.fd, p.tag)) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      workers_.pop_back();
      continue;
    }
    ::close(p.fd);
    pending_.pop_front();
  }
}

asio::awaitable<void> Edge::AcceptWorkers() {
  while (true) {
    auto [ec, socket] = co_await workers_acceptor_->async_accept(kNoThrow);
    if (ec) co_return;
    auto worker = std::make_shared<asio::local::stream_protocol::socket>(std::move(socket));
    workers_.push_back(worker);  // the newest takes new connections
    std::fprintf(stderr, "mothership-proxy edge: a worker connected (%zu connected)\n", workers_.size());
    asio::co_spawn(io_, WatchWorker(worker), asio::detached);
    Flush();
  }
}

asio::awaitable<void> Edge::WatchWorker(std::shared_ptr<asio::local::stream_protocol::socket> worker) {
  // A worker only ever closes its end: that read ends when it goes.
  char byte;
  co_await worker->async_read_some(asio::buffer(&byte, 1), kNoThrow);
  std::erase(workers_, worker);
  std::fprintf(stderr, "mothership-proxy edge: a worker left (%zu connected)\n", workers_.size());
}

asio::awaitable<void> Edge::ExpirePending() {
  asio::steady_timer timer(io_);
  while (true) {
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(kNoThrow);
    Flush();
    auto now = std::chrono::steady_clock::now();
    while (!pending_.empty() && now - pending_.front().since > kPendingFor) {
      ::close(pending_.front().fd);
      pending_.pop_front();
    }
  }
}

}  // namespace ms::proxy
