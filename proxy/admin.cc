#include "proxy/admin.h"

#include <fmt/format.h>

#include "proxy/http_parser.h"

namespace ms::proxy {

std::optional<std::string> AdminResponse(std::string_view data, const Metrics& metrics) {
  return AdminResponse(data, [&metrics] { return metrics.Render(); });
}

std::optional<std::string> AdminResponse(std::string_view data, const std::function<std::string()>& metrics) {
  RequestHead req;
  auto parsed = ParseRequestHead(data, HeadLimits{}, req);
  if (parsed == Parse::kIncomplete) return std::nullopt;
  std::string body, status = "200 OK", type = "text/plain; version=0.0.4";
  if (parsed == Parse::kError) {
    status = "400 Bad Request";
  } else if (req.target == "/metrics") {
    body = metrics();
  } else if (req.target == "/healthz") {
    body = "ok\n";
  } else {
    status = "404 Not Found";
    body = "GET /metrics or /healthz\n";
  }
  return fmt::format("HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", status,
                     type, body.size(), body);
}

boost::asio::awaitable<void> ServeAdmin(boost::asio::ip::tcp::socket socket, std::function<std::string()> metrics) {
  namespace asio = boost::asio;
  constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
  std::string data;
  char chunk[4096];
  asio::steady_timer timer(socket.get_executor(), std::chrono::seconds(5));
  timer.async_wait([&socket](boost::system::error_code ec) {
    if (!ec) socket.close(ec);
  });
  while (true) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(chunk), kNoThrow);
    if (ec || n == 0) co_return;
    data.append(chunk, n);
    auto response = AdminResponse(data, metrics);
    if (!response) continue;
    co_await asio::async_write(socket, asio::buffer(*response), kNoThrow);
    timer.cancel();
    co_return;
  }
}

}  // namespace ms::proxy
