#include "proxy/metrics.h"

#include <fmt/format.h>

namespace ms::proxy {

void Metrics::Request(const std::string& app, int status, double seconds) {
  std::lock_guard lock(mu_);
  App& a = apps_[app];
  int cls = status >= 100 && status < 600 ? status / 100 : 0;
  ++a.by_class[static_cast<size_t>(cls)];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++a.buckets[i];
  }
  ++a.count;
  a.sum += seconds;
}

std::string Metrics::RenderAll(std::span<const Metrics* const> all) {
  Metrics sum;
  for (const Metrics* m : all) {
    {
      std::lock_guard lock(m->mu_);
      for (const auto& [app, a] : m->apps_) {
        App& to = sum.apps_[app];
        for (size_t i = 0; i < a.by_class.size(); ++i) to.by_class[i] += a.by_class[i];
        for (size_t i = 0; i < a.buckets.size(); ++i) to.buckets[i] += a.buckets[i];
        to.count += a.count;
        to.sum += a.sum;
        to.upstream_errors += a.upstream_errors;
      }
    }
    sum.open_connections_ += m->open_connections_;
    sum.total_connections_ += m->total_connections_;
    sum.tls_handshakes_ += m->tls_handshakes_;
    sum.tls_handshake_failures_ += m->tls_handshake_failures_;
  }
  return sum.Render();
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP mothership_proxy_requests_total Requests answered, by app and status class.\n";
  out += "# TYPE mothership_proxy_requests_total counter\n";
  const char* classes[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
  for (const auto& [app, a] : apps_) {
    for (size_t c = 0; c < a.by_class.size(); ++c) {
      if (a.by_class[c] == 0) continue;
      out += fmt::format("mothership_proxy_requests_total{{app=\"{}\",class=\"{}\"}} {}\n", app, classes[c], a.by_class[c]);
    }
  }
  out += "# HELP mothership_proxy_request_duration_seconds Time from a request's head to the end of its answer.\n";
  out += "# TYPE mothership_proxy_request_duration_seconds histogram\n";
  for (const auto& [app, a] : apps_) {
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format("mothership_proxy_request_duration_seconds_bucket{{app=\"{}\",le=\"{}\"}} {}\n", app,
                         kBuckets[i], a.buckets[i]);
    }
    out += fmt::format("mothership_proxy_request_duration_seconds_bucket{{app=\"{}\",le=\"+Inf\"}} {}\n", app, a.count);
    out += fmt::format("mothership_proxy_request_duration_seconds_sum{{app=\"{}\"}} {}\n", app, a.sum);
    out += fmt::format("mothership_proxy_request_duration_seconds_count{{app=\"{}\"}} {}\n", app, a.count);
  }
  out += "# HELP mothership_proxy_upstream_errors_total Failed connections or exchanges with an app's tasks.\n";
  out += "# TYPE mothership_proxy_upstream_errors_total counter\n";
  for (const auto& [app, a] : apps_) {
    out += fmt::format("mothership_proxy_upstream_errors_total{{app=\"{}\"}} {}\n", app, a.upstream_errors);
  }
  out += "# HELP mothership_proxy_open_connections Client connections open now.\n";
  out += "# TYPE mothership_proxy_open_connections gauge\n";
  out += fmt::format("mothership_proxy_open_connections {}\n", open_connections_.load());
  out += "# HELP mothership_proxy_connections_total Client connections accepted.\n";
  out += "# TYPE mothership_proxy_connections_total counter\n";
  out += fmt::format("mothership_proxy_connections_total {}\n", total_connections_.load());
  out += "# HELP mothership_proxy_tls_handshakes_total TLS handshakes on the https port, by result.\n";
  out += "# TYPE mothership_proxy_tls_handshakes_total counter\n";
  out += fmt::format("mothership_proxy_tls_handshakes_total{{result=\"ok\"}} {}\n", tls_handshakes_.load());
  out += fmt::format("mothership_proxy_tls_handshakes_total{{result=\"failed\"}} {}\n", tls_handshake_failures_.load());
  return out;
}

}  // namespace ms::proxy
