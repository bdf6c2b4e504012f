#include "proxy/head_rewrite.h"

#include <array>
#include <cctype>
#include <random>

namespace ms::proxy {
namespace {

// a == b ignoring case, with '_' the same as '-': many app servers (CGI,
// Rack, WSGI) read X_Forwarded_For as X-Forwarded-For.
bool SameHeaderName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i])));
    char y = static_cast<char>(std::tolower(static_cast<unsigned char>(b[i])));
    if (x == '_') x = '-';
    if (y == '_') y = '-';
    if (x != y) return false;
  }
  return true;
}

// Set by the proxy only, or claims about the client only the proxy may make:
// a client's values are dropped, in any spelling.
bool SetByProxy(std::string_view name) {
  static const std::array<std::string_view, 8> kOwn = {"expect",           "x-request-id",     "x-forwarded-for",
                                                       "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port",
                                                       "x-real-ip",         "forwarded"};
  for (auto own : kOwn) {
    if (SameHeaderName(name, own)) return true;
  }
  return false;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

// The message's headers but the hop-by-hop ones.
void AppendEndToEnd(const MessageHead& head, std::string& out) {
  for (const auto& h : head.headers) {
    if (!IsHopByHop(h.name, head)) AppendHeader(out, h.name, h.value);
  }
}

}  // namespace

bool IsHopByHop(std::string_view name, const MessageHead& head) {
  static const std::array<std::string_view, 7> kHop = {"connection", "keep-alive", "proxy-connection", "te",
                                                       "trailer",    "upgrade",    "http2-settings"};
  for (auto h : kHop) {
    if (EqualsIgnoreCase(name, h)) return true;
  }
  // Connection may name other hop-by-hop headers, but never the ones that
  // frame or route the message.
  for (auto token : head.connection_tokens) {
    if (EqualsIgnoreCase(name, token) && !EqualsIgnoreCase(name, "transfer-encoding") &&
        !EqualsIgnoreCase(name, "content-length") && !EqualsIgnoreCase(name, "host")) {
      return true;
    }
  }
  return false;
}

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" || method == "DELETE" ||
         method == "TRACE";
}

bool GoodRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

void NewRequestId(std::string& id) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  id.resize(32);
  for (int half = 0; half < 2; ++half) {
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i) id[static_cast<size_t>(half * 16 + i)] = kHex[(v >> (60 - 4 * i)) & 0xf];
  }
}

void AppendUpstreamHead(const RequestHead& req, const Forwarded& forwarded, std::string& out) {
  out.append(req.method).append(" ").append(req.target).append(req.minor_version ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  for (const auto& h : req.headers) {
    if (IsHopByHop(h.name, req) || SetByProxy(h.name)) continue;
    // The host routed by: an absolute-form target's authority wins over the Host header.
    AppendHeader(out, h.name, EqualsIgnoreCase(h.name, "host") ? req.host : h.value);
  }
  AppendHeader(out, "X-Forwarded-For", forwarded.client_ip);
  AppendHeader(out, "X-Forwarded-Proto", forwarded.proto);
  AppendHeader(out, "X-Forwarded-Host", req.host);
  AppendHeader(out, "X-Forwarded-Port", forwarded.port);
  AppendHeader(out, "X-Request-Id", forwarded.request_id);
  if (WantsUpgrade(req)) out.append("Connection: upgrade\r\nUpgrade: ").append(req.upgrade).append("\r\n");
  out.append("\r\n");
}

void AppendClientHead(const RequestHead& req, const ResponseHead& resp, bool close, std::string& out,
                      int64_t hsts_max_age) {
  char status[4] = {static_cast<char>('0' + resp.status / 100 % 10), static_cast<char>('0' + resp.status / 10 % 10),
                    static_cast<char>('0' + resp.status % 10), ' '};
  out.append(req.minor_version ? "HTTP/1.1 " : "HTTP/1.0 ").append(status, 4).append(resp.reason).append("\r\n");
  AppendEndToEnd(resp, out);
  if (hsts_max_age > 0 && !resp.Find("strict-transport-security")) {
    out.append("Strict-Transport-Security: max-age=").append(std::to_string(hsts_max_age)).append("\r\n");
  }
  if (close) {
    out.append("Connection: close\r\n");
  } else if (req.minor_version == 0) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

void AppendUpgradeHead(const ResponseHead& resp, std::string& out) {
  out.append("HTTP/1.1 101 ").append(resp.reason).append("\r\n");
  AppendEndToEnd(resp, out);
  out.append("Connection: upgrade\r\n");
  if (auto up = resp.Find("upgrade")) AppendHeader(out, "Upgrade", *up);
  out.append("\r\n");
}

bool ClientCloses(const RequestHead& req, const Framing& response_body, bool draining) {
  return req.connection_close || response_body.kind == Framing::kUntilClose || draining ||
         (response_body.kind == Framing::kChunked && req.minor_version == 0);
}

bool KeepsUpstream(const RequestHead& req, const ResponseHead& resp, const Framing& response_body,
                   bool relayed_all, size_t bytes_left, bool draining) {
  return relayed_all && response_body.Done() && bytes_left == 0 && !resp.connection_close &&
         req.minor_version == 1 && !draining;
}

}  // namespace ms::proxy
