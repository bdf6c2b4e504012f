#pragma once
// The proxy's Prometheus metrics (served on the admin port at /metrics):
// requests by app and status class, a latency histogram per app, open client
// connections, upstream errors by app, TLS handshakes. Each of the proxy's
// loops (loop_group.h) updates its own; /metrics renders them together
// (RenderAll). Any thread may call these.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>

namespace ms::proxy {

class Metrics {
 public:
  // status 0: the client went away before an answer.
  void Request(const std::string& app, int status, double seconds);
  void UpstreamError(const std::string& app) {
    std::lock_guard lock(mu_);
    ++apps_[app].upstream_errors;
  }
  void ConnectionOpened() { ++open_connections_; ++total_connections_; }
  void ConnectionClosed() { --open_connections_; }
  int64_t open_connections() const { return open_connections_; }
  // A TLS handshake that completed, or failed (garbage, no certificate for
  // the name, no common version or cipher, a client that stalled or left).
  void TlsHandshake(bool ok) { ++(ok ? tls_handshakes_ : tls_handshake_failures_); }

  // The Prometheus text exposition format.
  std::string Render() const;
  // The sum of several (the loops' metrics), rendered as one.
  static std::string RenderAll(std::span<const Metrics* const> all);

 private:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};
  struct App {
    std::array<uint64_t, 6> by_class{};  // 1xx..5xx, and [0] for no answer
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
    uint64_t upstream_errors = 0;
  };
  mutable std::mutex mu_;  // apps_
  std::map<std::string, App> apps_;
  std::atomic<int64_t> open_connections_ = 0;
  std::atomic<uint64_t> total_connections_ = 0;
  std::atomic<uint64_t> tls_handshakes_ = 0;
  std::atomic<uint64_t> tls_handshake_failures_ = 0;
};

}  // namespace ms::proxy
