#include "proxy/error_page.h"

#include <fmt/format.h>

namespace ms::proxy {

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
  }
}

std::string ErrorPage(int status, std::string_view request_id, bool close, std::string_view routes_version) {
  std::string title = fmt::format("{} {}", status, Reason(status));
  std::string text = status == 200   ? "Routable."
                     : status == 404 ? "There is no app at this address."
                     : status == 503 ? "The app is not running right now. Try again in a few seconds."
                     : status >= 500 ? "The app did not answer properly."
                                     : "The request could not be read.";
  std::string body = fmt::format(
      "<!doctype html><html><head><title>{0}</title></head><body><h1>{0}</h1><p>{1}</p></body></html>\n", title, text);
  std::string out = fmt::format(
      "HTTP/1.1 {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "X-Request-Id: {}\r\n",
      title, body.size(), request_id);
  if (status == 503) out += "Retry-After: 5\r\n";
  if (!routes_version.empty()) out += fmt::format("X-Mothership-Routes: {}\r\n", routes_version);
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  return out;
}

std::string RedirectAnswer(int status, std::string_view location, std::string_view request_id, bool close,
                           bool head_only) {
  std::string body = fmt::format("Moved to {}\n", location);
  return fmt::format(
      "HTTP/1.1 {} {}\r\nLocation: {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n"
      "X-Request-Id: {}\r\n{}\r\n{}",
      status, Reason(status), location, body.size(), request_id, close ? "Connection: close\r\n" : "",
      head_only ? "" : body);
}

std::string TextAnswer(std::string_view body, std::string_view request_id, bool close) {
  return fmt::format(
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nCache-Control: no-store\r\n"
      "X-Request-Id: {}\r\n{}\r\n{}",
      body.size(), request_id, close ? "Connection: close\r\n" : "", body);
}

}  // namespace ms::proxy
