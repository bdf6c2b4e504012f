#pragma once
// Pure rewriting of message heads as they cross the proxy, and the
// keep-alive decisions that go with them: the request head a task receives
// (hop-by-hop headers and Expect dropped, X-Forwarded-* and X-Request-Id set
// by the proxy, an upgrade passed on), the response head a client receives,
// and the 101 head of a tunnel. No I/O; the heads are appended to a string
// the caller owns.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/framing.h"
#include "proxy/http_parser.h"

namespace ms::proxy {

// What the proxy tells a task about the request it forwards.
struct Forwarded {
  std::string_view client_ip;   // X-Forwarded-For (client values replaced)
  std::string_view port;        // X-Forwarded-Port: the port the client used
  std::string_view request_id;  // X-Request-Id
  std::string_view proto = "http";  // X-Forwarded-Proto: "http" or "https"
};

// A header that concerns one connection only and is not forwarded: the fixed
// hop-by-hop ones and those the message's Connection header names (except the
// framing headers, which the proxy forwards as they are).
bool IsHopByHop(std::string_view name, const MessageHead& head);

// Safe to send twice (RFC 9110's idempotent methods).
bool IsIdempotent(std::string_view method);

// The request asks for a protocol upgrade ("Connection: upgrade" and an
// Upgrade header), e.g. a WebSocket.
inline bool WantsUpgrade(const RequestHead& req) { return req.connection_upgrade && !req.upgrade.empty(); }

// A client's X-Request-Id is kept when it is short and plain (1 to 128 of
// letters, digits, '-', '_', '.').
bool GoodRequestId(std::string_view id);
// Sets id to 32 random hex digits (reusing its memory).
void NewRequestId(std::string& id);

// Appends the head the task receives for req.
void AppendUpstreamHead(const RequestHead& req, const Forwarded& forwarded, std::string& out);

// Appends the head the client receives for resp: the request's HTTP version,
// hop-by-hop headers dropped, "Connection: close" when close, else
// "Connection: keep-alive" for an HTTP/1.0 client.
// hsts_max_age > 0: Strict-Transport-Security with it, unless the task sent
// its own.
void AppendClientHead(const RequestHead& req, const ResponseHead& resp, bool close, std::string& out,
                      int64_t hsts_max_age = 0);

// Appends the head of a 101 (Switching Protocols) the client receives.
void AppendUpgradeHead(const ResponseHead& resp, std::string& out);

// The client connection closes after this response: the client asked, the
// body ends with the task's close, a chunked body goes to an HTTP/1.0 client
// (which cannot read chunks), or the proxy drains.
bool ClientCloses(const RequestHead& req, const Framing& response_body, bool draining);

// The task's connection may serve another request once this response's body
// was relayed completely (with nothing after it) and neither side asked to
// close.
bool KeepsUpstream(const RequestHead& req, const ResponseHead& resp, const Framing& response_body,
                   bool relayed_all, size_t bytes_left, bool draining);

}  // namespace ms::proxy
