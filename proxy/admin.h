#pragma once
// The admin endpoint (its own port, or the edge's metrics port): GET /metrics
// answers the Prometheus text of metrics.h, GET /healthz "ok"; anything else
// 404, a malformed request 400. One request per connection, which closes
// after the answer or after 5 s.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio.hpp>

#include "proxy/metrics.h"

namespace ms::proxy {

// The whole answer to the request at the start of data, or nullopt while its
// head is incomplete.
// metrics: the text of /metrics (called only for it).
std::optional<std::string> AdminResponse(std::string_view data, const std::function<std::string()>& metrics);
std::optional<std::string> AdminResponse(std::string_view data, const Metrics& metrics);

// Reads one request from socket and answers it.
boost::asio::awaitable<void> ServeAdmin(boost::asio::ip::tcp::socket socket, std::function<std::string()> metrics);

}  // namespace ms::proxy
