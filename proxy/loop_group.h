#pragma once
// LoopGroup: the proxy on every core. N loops, each a thread running its own
// io_context and Server: its connections, its connections to tasks, its DNS
// answers and timers, so nothing on a request's path takes a lock held by
// another loop. Loop 0 takes the connections (from the edge, edge.h, or its
// own listeners) and hands each to the next loop in turn; a keep-alive
// connection stays on its loop. Shared (LoopShared): the caps on client
// connections (ClientCaps: one client's share holds across loops), the access
// log, and /metrics (every loop's, summed). Each loop gets the routes as they
// load. TLS session tickets resume on any loop (their keys come from the one
// secret, tls.h). One loop is the single-threaded proxy of before.

#include <memory>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "proxy/config.h"
#include "proxy/routes.h"
#include "proxy/server.h"

namespace ms::proxy {

class LoopGroup {
 public:
  // loops: at least 1.
  LoopGroup(size_t loops, const ProxyConfig& config);
  ~LoopGroup();

  size_t size() const { return loops_.size(); }
  // Loop 0: it listens (Start) or takes the edge's connections (StartFromEdge);
  // StartOthers then starts the rest.
  Server& primary() { return *loops_[0]->server; }
  asio::io_context& primary_io() { return loops_[0]->io; }
  const Server& loop(size_t i) const { return *loops_.at(i)->server; }
  // The other loops, serving what loop 0 hands them; public_port as
  // Server::StartAdopting's.
  void StartOthers(uint16_t public_port);
  // Every loop's routes (call on loop 0's thread, or before Run).
  void SetRoutes(const RouteTable& routes);
  // Every loop drains (call on loop 0's thread).
  void Drain();
  bool Drained() const;
  // Runs loops 1.. on threads of their own and loop 0 on this one, until
  // loop 0's io_context stops; then stops and joins the others.
  void Run();

 private:
  struct Loop {
    asio::io_context io{1};
    std::unique_ptr<Server> server;
  };
  std::vector<std::unique_ptr<Loop>> loops_;
  std::shared_ptr<LoopShared> shared_;
  std::atomic<size_t> next_ = 0;
};

// How many loops by default: the CPUs this process may run on.
size_t DefaultLoops();

}  // namespace ms::proxy
