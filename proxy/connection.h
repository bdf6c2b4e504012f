#pragma once
// One client connection (plain or TLS) and the upstream connection (a task's,
// or the daemon's socket: upstream_socket.h) serving its current request.
// No timer per connection: the server's sweep (server.cc) closes both sockets
// once the deadline has passed, which ends whatever read or write waits on
// them. A deadline is read from the clock when it is set (a vDSO call, tens of
// nanoseconds), so the sweep, four times a second, cuts a connection never
// before its time and at most a quarter second after it. Used on the proxy's one thread only.

#include <chrono>
#include <string>

#include <boost/asio.hpp>

#include "proxy/buffer.h"
#include "proxy/client_stream.h"
#include "proxy/upstream_socket.h"

namespace ms::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Connection {
  explicit Connection(tcp::socket s) : client(std::move(s)), upstream(client.get_executor()) {}

  ClientStream client;  // plain or TLS
  UpstreamSocket upstream;
  Clock::time_point deadline = Clock::time_point::max();
  bool timed_out = false;  // the sweep closed it (or only its upstream: SetUpstreamDeadline)
  bool upstream_deadline = false;  // the deadline is the task's to meet
  bool idle = false;       // between requests (Drain closes it)
  Connection* prev = nullptr;  // the server's list of connections
  Connection* next = nullptr;
  std::string client_ip;
  std::string request_id;
  Buffer in;  // from the client

  void SetDeadline(Clock::duration d) {
    deadline = Clock::now() + d;
    upstream_deadline = false;
  }
  // A deadline for the task (to take the connection, to answer): when it
  // passes, only the upstream connection is closed, and the request goes to
  // another task or is answered 504.
  void SetUpstreamDeadline(Clock::duration d) {
    deadline = Clock::now() + d;
    upstream_deadline = true;
  }
  void CloseUpstream() {
    boost::system::error_code ignored;
    upstream.close(ignored);
  }
  void Close() {
    boost::system::error_code ignored;
    client.Close();
    upstream.close(ignored);
  }
};

}  // namespace ms::proxy
