#include "proxy/loop_group.h"

#include <sched.h>
#include <unistd.h>

namespace ms::proxy {

LoopGroup::LoopGroup(size_t loops, const ProxyConfig& config) : shared_(std::make_shared<LoopShared>(config)) {
  for (size_t i = 0; i < std::max<size_t>(loops, 1); ++i) {
    auto loop = std::make_unique<Loop>();
    loop->server = std::make_unique<Server>(loop->io, config, shared_);
    loops_.push_back(std::move(loop));
  }
  if (loops_.size() > 1) {
    shared_->dispatch = [this](int fd, char tag) {
      loops_[next_++ % loops_.size()]->server->Adopt(fd, tag);
    };
    shared_->resolved = [this](const std::string& key, const std::vector<tcp::endpoint>& addresses) {
      for (size_t i = 1; i < loops_.size(); ++i) loops_[i]->server->SetResolved(key, addresses);
    };
    // The edge tells loop 0 when it listens for https: every loop redirects to it then.
    loops_[0]->server->OnHttpsPort([this](uint16_t port) {
      for (size_t i = 1; i < loops_.size(); ++i) loops_[i]->server->SetHttpsPort(port);
    });
  }
  shared_->metrics_text = [this] {
    std::vector<const Metrics*> all;
    for (const auto& loop : loops_) all.push_back(&loop->server->metrics());
    return Metrics::RenderAll(all);
  };
}

LoopGroup::~LoopGroup() {
  for (auto& loop : loops_) loop->io.stop();
}

void LoopGroup::StartOthers(uint16_t public_port) {
  for (size_t i = 1; i < loops_.size(); ++i) loops_[i]->server->StartAdopting(public_port);
}

void LoopGroup::SetRoutes(const RouteTable& routes) {
  // Loop 0 loads the certificates (when their files changed); the others
  // share its OpenSSL contexts (thread-safe to make connections from).
  loops_[0]->server->SetRoutes(routes);
  auto tls = loops_[0]->server->tls();
  for (size_t i = 1; i < loops_.size(); ++i) {
    Server* server = loops_[i]->server.get();
    asio::post(loops_[i]->io, [server, routes, tls] { server->SetRoutes(routes, tls); });
  }
}

void LoopGroup::Drain() {
  loops_[0]->server->Drain();
  for (size_t i = 1; i < loops_.size(); ++i) {
    Server* server = loops_[i]->server.get();
    asio::post(loops_[i]->io, [server] { server->Drain(); });
  }
}

bool LoopGroup::Drained() const {
  for (const auto& loop : loops_) {
    if (!loop->server->Drained()) return false;
  }
  return true;
}

void LoopGroup::Run() {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < loops_.size(); ++i) {
    threads.emplace_back([io = &loops_[i]->io] {
      auto work = asio::make_work_guard(*io);
      io->run();
    });
  }
  loops_[0]->io.run();
  for (size_t i = 1; i < loops_.size(); ++i) loops_[i]->io.stop();
  for (auto& t : threads) t.join();
}

size_t DefaultLoops() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<size_t>(n) : 1;
}

}  // namespace ms::proxy
