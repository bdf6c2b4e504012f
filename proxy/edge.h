#pragma once
// The edge: holds the public ports and hands every accepted connection to the
// newest proxy worker over a unix socket (SCM_RIGHTS), so the worker can be
// replaced, to join a new app's network or to upgrade, without a moment where
// nothing listens: the new worker connects, takes every new connection, and
// the old one finishes what it has. Connections that arrive while no worker is
// connected wait (up to 30 s) for one. A worker that stops (it drains) shuts
// down its side of the link: the edge then sends it nothing more and closes
// the link, and the worker serves whatever it received before that close.
// Only when no other worker is connected (Swarm stopped a new worker before
// the next was ready, as when service updates follow each other) does the
// draining worker go on taking connections, until a worker connects or for up
// to 20 s of its 30 s drain.
//
// Each message is one byte, 'h' (HTTP), 's' (HTTPS: TLS ends in the worker) or
// 'm' (metrics), with one descriptor.

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio.hpp>

namespace ms::proxy {

namespace asio = boost::asio;

class Edge {
 public:
  // last_worker_takes_for: how long a draining worker that is the last one
  // goes on taking connections (it drains for 30 s, and the requests it takes
  // last need time to finish).
  Edge(asio::io_context& io, std::string socket_path,
       std::chrono::milliseconds last_worker_takes_for = std::chrono::seconds(20))
      : io_(io), socket_path_(std::move(socket_path)), last_worker_takes_for_(last_worker_takes_for) {}
  ~Edge();

  // Binds the public listeners and the workers' unix socket (throws
  // boost::system::system_error).
  void Listen(const std::string& host, uint16_t port, char tag);
  void Start();
  uint16_t port(size_t i) const { return ports_.at(i); }

 private:
  struct Pending {
    int fd;
    char tag;
    std::chrono::steady_clock::time_point since;
  };
  struct Worker {
    asio::local::stream_protocol::socket link;
    bool draining = false;  // it shut down its side: it takes connections only while it is the last
  };
  asio::awaitable<void> Accept(asio::ip::tcp::acceptor& acceptor, char tag);
  asio::awaitable<void> AcceptWorkers();
  asio::awaitable<void> WatchWorker(std::shared_ptr<Worker> worker);
  asio::awaitable<void> ExpirePending();
  void Hand(int fd, char tag);
  void Flush();
  // Sends fd to the newest worker that takes connections; false when none
  // does or it is busy (then fd is the caller's still).
  bool Send(int fd, char tag);
  void Drop(const std::shared_ptr<Worker>& worker);

  asio::io_context& io_;
  std::string socket_path_;
  std::chrono::milliseconds last_worker_takes_for_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<char> tags_;
  std::vector<uint16_t> ports_;
  std::unique_ptr<asio::local::stream_protocol::acceptor> workers_acceptor_;
  std::vector<std::shared_ptr<Worker>> workers_;  // newest last
  std::deque<Pending> pending_;
};

// Sends fd with a one-byte tag; false when the socket would block or failed.
bool SendDescriptor(int unix_socket, int fd, char tag);
// Sends a one-byte tag alone (kHttpsListening).
bool SendTag(int unix_socket, char tag);
// What the edge tells a worker first when it listens for https: the worker
// then redirects to https (http:redirect), which it does not otherwise.
inline constexpr char kHttpsListening = 'S';
// ReceiveDescriptor's answer to a tag that came alone.
inline constexpr int kTagOnly = -2;
// Receives one descriptor; kTagOnly for a tag alone; -1 when none is waiting
// (EAGAIN) or on error (closed set then).
int ReceiveDescriptor(int unix_socket, char& tag, bool& closed);

}  // namespace ms::proxy
