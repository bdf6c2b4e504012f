#include "proxy/edge.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

bool SendTag(int unix_socket, char tag) {
  return ::send(unix_socket, &tag, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1;
}

int ReceiveDescriptor(int unix_socket, char& tag, bool& closed) {
  DescriptorMessage m(&tag);
  ssize_t n = ::recvmsg(unix_socket, &m.msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  if (n != 1) return -1;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&m.msg);
  if (!cmsg) return kTagOnly;
  if (cmsg->cmsg_type != SCM_RIGHTS) return -1;
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

bool Edge::Send(int fd, char tag) {
  while (!workers_.empty()) {
    // The newest worker that still takes connections: one not draining, or
    // else the last one left (it stays only while it is the last: WatchWorker).
    auto it = std::find_if(workers_.rbegin(), workers_.rend(), [](const auto& w) { return !w->draining; });
    std::shared_ptr<Worker> worker = it != workers_.rend() ? *it : workers_.back();
    if (SendDescriptor(worker->link.native_handle(), fd, tag)) {
      ::close(fd);
      return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;  // busy: the caller queues it
    Drop(worker);  // gone
  }
  return false;
}

void Edge::Hand(int fd, char tag) {
  if (pending_.empty() && Send(fd, tag)) return;
  if (pending_.size() >= kMaxPending) {
    ::close(fd);
    return;
  }
  pending_.push_back({fd, tag, std::chrono::steady_clock::now()});
}

void Edge::Flush() {
  while (!pending_.empty() && Send(pending_.front().fd, pending_.front().tag)) pending_.pop_front();
}

void Edge::Drop(const std::shared_ptr<Worker>& worker) {
  if (std::erase(workers_, worker) == 0) return;
  boost::system::error_code ignored;
  worker->link.close(ignored);
  std::fprintf(stderr, "mothership-proxy edge: a worker left (%zu connected)\n", workers_.size());
}

asio::awaitable<void> Edge::AcceptWorkers() {
  while (true) {
    auto [ec, socket] = co_await workers_acceptor_->async_accept(kNoThrow);
    if (ec) co_return;
    auto worker = std::make_shared<Worker>(Worker{std::move(socket)});
    // The newest takes new connections; a draining worker kept as the last
    // one is let go now.
    for (auto draining : std::vector(workers_)) {
      if (draining->draining) Drop(draining);
    }
    // First, before any connection: whether https listens here.
    if (std::find(tags_.begin(), tags_.end(), 's') != tags_.end()) {
      SendTag(worker->link.native_handle(), kHttpsListening);
    }
    workers_.push_back(worker);
    std::fprintf(stderr, "mothership-proxy edge: a worker connected (%zu connected)\n", workers_.size());
    asio::co_spawn(io_, WatchWorker(worker), asio::detached);
    Flush();
  }
}

asio::awaitable<void> Edge::WatchWorker(std::shared_ptr<Worker> worker) {
  // A worker only ever shuts down its end: that read ends when it drains, or
  // when it is gone.
  char byte;
  co_await worker->link.async_read_some(asio::buffer(&byte, 1), kNoThrow);
  bool others = std::any_of(workers_.begin(), workers_.end(),
                            [&](const auto& w) { return w != worker && !w->draining; });
  if (others || !worker->link.is_open()) {
    Drop(worker);
    co_return;
  }
  // The last worker: it goes on taking connections until another connects
  // (AcceptWorkers drops it then), or until it has to finish what it has
  // before its drain ends (a send to a worker that is gone fails: Send).
  worker->draining = true;
  std::fprintf(stderr, "mothership-proxy edge: the last worker drains; it takes connections until another connects\n");
  asio::steady_timer last(io_, last_worker_takes_for_);
  co_await last.async_wait(kNoThrow);
  Drop(worker);
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
