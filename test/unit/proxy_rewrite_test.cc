// The proxy's pure layers: the heads it forwards both ways (head_rewrite.h),
// its own error pages (error_page.h) and body framing (framing.h).

#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "proxy/error_page.h"
#include "proxy/framing.h"
#include "proxy/head_rewrite.h"
#include "proxy/http_parser.h"

using ms::proxy::Forwarded;
using ms::proxy::Framing;
using ms::proxy::HeadLimits;
using ms::proxy::Parse;
using ms::proxy::RequestHead;
using ms::proxy::ResponseHead;

namespace {

// A parsed request head with the bytes its views point into.
struct Req {
  explicit Req(std::string b) : bytes(std::move(b)) {
    REQUIRE(ms::proxy::ParseRequestHead(bytes, HeadLimits{}, head) == Parse::kDone);
  }
  Req(const Req&) = delete;
  std::string bytes;
  RequestHead head;
};

struct Resp {
  explicit Resp(std::string b) : bytes(std::move(b)) {
    REQUIRE(ms::proxy::ParseResponseHead(bytes, HeadLimits{}, head) == Parse::kDone);
  }
  Resp(const Resp&) = delete;
  std::string bytes;
  ResponseHead head;
};

std::string Upstream(const Req& r) {
  std::string out;
  ms::proxy::AppendUpstreamHead(r.head, Forwarded{"203.0.113.7", "8080", "rid-1"}, out);
  return out;
}

const std::string kForwarded =
    "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: shop.localhost\r\n"
    "X-Forwarded-Port: 8080\r\nX-Request-Id: rid-1\r\n";

size_t Count(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("AppendUpstreamHead keeps the request line and end-to-end headers in order, then adds X-Forwarded-*",
          "[proxy]") {
  Req r("GET /a?b=1 HTTP/1.1\r\nHost: shop.localhost\r\nAccept: */*\r\nCookie: a=b\r\n\r\n");
  CHECK(Upstream(r) == "GET /a?b=1 HTTP/1.1\r\nHost: shop.localhost\r\nAccept: */*\r\nCookie: a=b\r\n" + kForwarded +
                           "\r\n");
}

TEST_CASE("AppendUpstreamHead replaces a client's X-Forwarded-* and X-Request-Id, whatever their case", "[proxy]") {
  Req r("POST /f HTTP/1.1\r\nHost: shop.localhost\r\nX-Forwarded-For: 10.0.0.1\r\nx-forwarded-proto: https\r\n"
        "X-FORWARDED-HOST: evil.example\r\nX-Forwarded-Port: 1\r\nx-request-id: theirs\r\nContent-Length: 0\r\n\r\n");
  std::string head = Upstream(r);
  CHECK(head == "POST /f HTTP/1.1\r\nHost: shop.localhost\r\nContent-Length: 0\r\n" + kForwarded + "\r\n");
  CHECK(head.find("10.0.0.1") == std::string::npos);
  CHECK(head.find("theirs") == std::string::npos);
}

TEST_CASE("AppendUpstreamHead drops hop-by-hop headers and those the Connection header names", "[proxy]") {
  Req r("GET / HTTP/1.1\r\nHost: shop.localhost\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: timeout=5\r\n"
        "Proxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-Sum\r\nX-Secret: 1\r\nHTTP2-Settings: AAA\r\n"
        "X-Kept: yes\r\n\r\n");
  CHECK(Upstream(r) == "GET / HTTP/1.1\r\nHost: shop.localhost\r\nX-Kept: yes\r\n" + kForwarded + "\r\n");
}

TEST_CASE("IsHopByHop: the fixed list and Connection's tokens, but never the framing headers", "[proxy]") {
  ms::proxy::MessageHead head;
  for (auto token : {"x-a", "content-length", "Transfer-Encoding"}) head.connection_tokens.push_back(token);
  for (auto name : {"Connection", "keep-alive", "PROXY-CONNECTION", "te", "Trailer", "upgrade", "HTTP2-Settings", "X-A"}) {
    CHECK(ms::proxy::IsHopByHop(name, head));
  }
  for (auto name : {"Host", "Content-Length", "transfer-encoding", "X-B", "Trailers"}) {
    CHECK_FALSE(ms::proxy::IsHopByHop(name, head));
  }
}

TEST_CASE("AppendUpstreamHead leaves Expect to the proxy and keeps the body's framing", "[proxy]") {
  Req r("PUT /up HTTP/1.1\r\nHost: shop.localhost\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  CHECK(r.head.expect_continue);
  CHECK(Upstream(r) == "PUT /up HTTP/1.1\r\nHost: shop.localhost\r\nContent-Length: 3\r\n" + kForwarded + "\r\n");
}

TEST_CASE("AppendUpstreamHead forwards an HTTP/1.0 request as HTTP/1.0", "[proxy]") {
  Req r("GET /old HTTP/1.0\r\nHost: shop.localhost\r\n\r\n");
  CHECK(Upstream(r) == "GET /old HTTP/1.0\r\nHost: shop.localhost\r\n" + kForwarded + "\r\n");
}

TEST_CASE("AppendUpstreamHead passes an upgrade on as Connection: upgrade with its Upgrade", "[proxy]") {
  Req r("GET /chat HTTP/1.1\r\nHost: shop.localhost\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
        "Sec-WebSocket-Key: k==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  CHECK(ms::proxy::WantsUpgrade(r.head));
  CHECK(Upstream(r) == "GET /chat HTTP/1.1\r\nHost: shop.localhost\r\nSec-WebSocket-Key: k==\r\n"
                       "Sec-WebSocket-Version: 13\r\n" +
                           kForwarded + "Connection: upgrade\r\nUpgrade: websocket\r\n\r\n");
}

TEST_CASE("An Upgrade header without Connection: upgrade is no upgrade and is dropped", "[proxy]") {
  Req r("GET /chat HTTP/1.1\r\nHost: shop.localhost\r\nUpgrade: websocket\r\n\r\n");
  CHECK_FALSE(ms::proxy::WantsUpgrade(r.head));
  std::string head = Upstream(r);
  CHECK(head == "GET /chat HTTP/1.1\r\nHost: shop.localhost\r\n" + kForwarded + "\r\n");
  CHECK(Count(head, "pgrade") == 0);
}

TEST_CASE("AppendClientHead drops the task's hop-by-hop headers and keeps its status and reason", "[proxy]") {
  Req r("GET / HTTP/1.1\r\nHost: shop.localhost\r\n\r\n");
  Resp resp("HTTP/1.1 404 Not Here\r\nContent-Type: text/plain\r\nConnection: keep-alive, X-Internal\r\n"
            "Keep-Alive: timeout=5\r\nX-Internal: 1\r\nContent-Length: 2\r\n\r\n");
  std::string out;
  ms::proxy::AppendClientHead(r.head, resp.head, false, out);
  CHECK(out == "HTTP/1.1 404 Not Here\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n");
  out.clear();
  ms::proxy::AppendClientHead(r.head, resp.head, true, out);
  CHECK(out == "HTTP/1.1 404 Not Here\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
}

TEST_CASE("AppendClientHead answers an HTTP/1.0 client in HTTP/1.0, keep-alive said when kept", "[proxy]") {
  Req r("GET / HTTP/1.0\r\nHost: shop.localhost\r\nConnection: keep-alive\r\n\r\n");
  CHECK_FALSE(r.head.connection_close);
  Resp resp("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
  std::string out;
  ms::proxy::AppendClientHead(r.head, resp.head, false, out);
  CHECK(out == "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n");
  out.clear();
  ms::proxy::AppendClientHead(r.head, resp.head, true, out);
  CHECK(out == "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
}

TEST_CASE("AppendUpgradeHead keeps the handshake's headers and says upgrade once", "[proxy]") {
  Resp resp("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  std::string out;
  ms::proxy::AppendUpgradeHead(resp.head, out);
  CHECK(out == "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
               "Connection: upgrade\r\nUpgrade: websocket\r\n\r\n");
}

TEST_CASE("ClientCloses: asked, a body ending with the close, chunks to HTTP/1.0, or draining", "[proxy]") {
  Req keep("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  Req close("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  Req old("GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
  Req old_close("GET / HTTP/1.0\r\nHost: a\r\n\r\n");
  Framing length, chunked, until_close, none;
  length.kind = Framing::kLength;
  chunked.kind = Framing::kChunked;
  until_close.kind = Framing::kUntilClose;
  CHECK_FALSE(ms::proxy::ClientCloses(keep.head, length, false));
  CHECK_FALSE(ms::proxy::ClientCloses(keep.head, chunked, false));
  CHECK_FALSE(ms::proxy::ClientCloses(keep.head, none, false));
  CHECK_FALSE(ms::proxy::ClientCloses(old.head, length, false));
  CHECK(ms::proxy::ClientCloses(close.head, length, false));
  CHECK(ms::proxy::ClientCloses(keep.head, until_close, false));
  CHECK(ms::proxy::ClientCloses(old.head, chunked, false));
  CHECK(ms::proxy::ClientCloses(old_close.head, length, false));
  CHECK(ms::proxy::ClientCloses(keep.head, length, true));
}

TEST_CASE("KeepsUpstream only after a whole, clean HTTP/1.1 exchange", "[proxy]") {
  Req keep("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  Req old("GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n");
  Resp ok("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  Resp closing("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  Framing done;  // kNone: ended
  Framing until_close;
  until_close.kind = Framing::kUntilClose;
  Framing unfinished;
  unfinished.kind = Framing::kLength;
  unfinished.remaining = 5;
  CHECK(ms::proxy::KeepsUpstream(keep.head, ok.head, done, true, 0, false));
  CHECK_FALSE(ms::proxy::KeepsUpstream(keep.head, ok.head, done, false, 0, false));  // the client went away
  CHECK_FALSE(ms::proxy::KeepsUpstream(keep.head, ok.head, done, true, 3, false));   // bytes after the body
  CHECK_FALSE(ms::proxy::KeepsUpstream(keep.head, closing.head, done, true, 0, false));
  CHECK_FALSE(ms::proxy::KeepsUpstream(old.head, ok.head, done, true, 0, false));
  CHECK_FALSE(ms::proxy::KeepsUpstream(keep.head, ok.head, done, true, 0, true));  // draining
  CHECK_FALSE(ms::proxy::KeepsUpstream(keep.head, ok.head, until_close, true, 0, false));
  CHECK_FALSE(ms::proxy::KeepsUpstream(keep.head, ok.head, unfinished, true, 0, false));
}

TEST_CASE("GoodRequestId keeps short plain ids only", "[proxy]") {
  CHECK(ms::proxy::GoodRequestId("abc-123_X.y"));
  CHECK(ms::proxy::GoodRequestId(std::string(128, 'a')));
  CHECK_FALSE(ms::proxy::GoodRequestId(""));
  CHECK_FALSE(ms::proxy::GoodRequestId(std::string(129, 'a')));
  CHECK_FALSE(ms::proxy::GoodRequestId("a b"));
  CHECK_FALSE(ms::proxy::GoodRequestId("a\"b"));
  CHECK_FALSE(ms::proxy::GoodRequestId("a/b"));
  CHECK_FALSE(ms::proxy::GoodRequestId("caf\xc3\xa9"));
}

TEST_CASE("NewRequestId makes 32 hex digits, different each time, in the string's own memory", "[proxy]") {
  std::string id;
  id.reserve(64);
  const char* memory = id.data();
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    ms::proxy::NewRequestId(id);
    REQUIRE(id.size() == 32);
    CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(id.data() == memory);
    seen.insert(id);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("IsIdempotent: the methods that may be sent twice", "[proxy]") {
  for (auto m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}) CHECK(ms::proxy::IsIdempotent(m));
  for (auto m : {"POST", "PATCH", "CONNECT", "get"}) CHECK_FALSE(ms::proxy::IsIdempotent(m));
}

TEST_CASE("ErrorPage is a whole response: its length, the request id, Retry-After on 503, close when asked",
          "[proxy]") {
  std::string page = ms::proxy::ErrorPage(503, "rid-9", false);
  auto split = page.find("\r\n\r\n");
  REQUIRE(split != std::string::npos);
  std::string head = page.substr(0, split + 4);
  std::string body = page.substr(split + 4);
  CHECK(head.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0) == 0);
  CHECK(head.find("Content-Length: " + std::to_string(body.size()) + "\r\n") != std::string::npos);
  CHECK(head.find("X-Request-Id: rid-9\r\n") != std::string::npos);
  CHECK(head.find("Retry-After: 5\r\n") != std::string::npos);
  CHECK(head.find("Connection: close") == std::string::npos);
  CHECK(body.find("not running") != std::string::npos);

  std::string missing = ms::proxy::ErrorPage(404, "rid-9", true);
  CHECK(missing.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  CHECK(missing.find("Retry-After") == std::string::npos);
  CHECK(missing.find("Connection: close\r\n\r\n") != std::string::npos);
  CHECK(std::string(ms::proxy::Reason(431)) == "Request Header Fields Too Large");
  CHECK(std::string(ms::proxy::Reason(299)) == "Error");
}

TEST_CASE("Framing::For: none, a length, chunked or until the close, and Take within it", "[proxy]") {
  Resp length("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
  Resp empty("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  Resp chunked("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  Resp neither("HTTP/1.1 200 OK\r\n\r\n");
  CHECK(Framing::For(length.head, false).kind == Framing::kNone);
  CHECK(Framing::For(empty.head, true).kind == Framing::kNone);
  CHECK(Framing::For(chunked.head, true).kind == Framing::kChunked);
  CHECK(Framing::For(neither.head, true).kind == Framing::kUntilClose);
  CHECK_FALSE(Framing::For(neither.head, true).Done());

  Framing f = Framing::For(length.head, true);
  REQUIRE(f.kind == Framing::kLength);
  CHECK(f.Take("abc") == 3);
  CHECK_FALSE(f.Done());
  CHECK(f.Take("deNEXT") == 2);
  CHECK(f.Done());
  CHECK(f.Take("more") == 0);
}

TEST_CASE("AppendUpstreamHead drops what a client claims about itself, in any spelling", "[proxy]") {
  Req r("GET / HTTP/1.1\r\nHost: shop.localhost\r\nForwarded: for=10.0.0.1\r\nX-Real-IP: 10.0.0.1\r\n"
        "X_Forwarded_For: 10.0.0.1\r\nx_real_ip: 10.0.0.1\r\nX-Forwarded_Proto: https\r\nAccept: */*\r\n\r\n");
  std::string up = Upstream(r);
  CHECK(up == "GET / HTTP/1.1\r\nHost: shop.localhost\r\nAccept: */*\r\n" + kForwarded + "\r\n");
  CHECK(Count(up, "10.0.0.1") == 0);
}

TEST_CASE("AppendUpstreamHead: Connection cannot remove Host, Content-Length or Transfer-Encoding", "[proxy]") {
  Req r("POST / HTTP/1.1\r\nHost: shop.localhost\r\nConnection: host, content-length, x-drop\r\n"
        "Content-Length: 2\r\nX-Drop: 1\r\n\r\n");
  std::string up = Upstream(r);
  CHECK(up == "POST / HTTP/1.1\r\nHost: shop.localhost\r\nContent-Length: 2\r\n" + kForwarded + "\r\n");
}

TEST_CASE("an absolute-form target routes by its host and goes upstream in origin form", "[proxy]") {
  Req r("GET http://Shop.localhost:8080/a/b?c=1 HTTP/1.1\r\nHost: other.localhost\r\n\r\n");
  CHECK(r.head.host == "Shop.localhost:8080");
  CHECK(r.head.target == "/a/b?c=1");
  std::string up = Upstream(r);
  CHECK(up.starts_with("GET /a/b?c=1 HTTP/1.1\r\nHost: Shop.localhost:8080\r\n"));
  CHECK(Count(up, "other.localhost") == 0);

  Req bare("GET https://shop.localhost HTTP/1.1\r\nHost: shop.localhost\r\n\r\n");
  CHECK(bare.head.target == "/");
  for (std::string bad : {"GET http:/// HTTP/1.1\r\nHost: a\r\n\r\n", "GET http://u@evil/ HTTP/1.1\r\nHost: a\r\n\r\n",
                          "GET http://a?x HTTP/1.1\r\nHost: a\r\n\r\n"}) {
    INFO(bad);
    RequestHead head;
    CHECK(ms::proxy::ParseRequestHead(bad, HeadLimits{}, head) == Parse::kError);
    CHECK(head.error_status == 400);
  }
}

TEST_CASE("AppendClientHead adds HSTS when asked, unless the task sent its own", "[proxy]") {
  Req r("GET / HTTP/1.1\r\nHost: shop.localhost\r\n\r\n");
  Resp plain("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
  std::string out;
  ms::proxy::AppendClientHead(r.head, plain.head, false, out, 600);
  CHECK(out == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nStrict-Transport-Security: max-age=600\r\n\r\n");
  Resp own("HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=5\r\nContent-Length: 2\r\n\r\n");
  out.clear();
  ms::proxy::AppendClientHead(r.head, own.head, false, out, 600);
  CHECK(out == "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=5\r\nContent-Length: 2\r\n\r\n");
}

TEST_CASE("AppendUpstreamHead says https and the https port for a TLS client", "[proxy]") {
  Req r("GET / HTTP/1.1\r\nHost: shop.localhost\r\nX-Forwarded-Proto: http\r\n\r\n");
  std::string out;
  ms::proxy::AppendUpstreamHead(r.head, ms::proxy::Forwarded{"203.0.113.7", "8443", "abc", "https"}, out);
  CHECK(out.find("X-Forwarded-Proto: https\r\n") != std::string::npos);
  CHECK(out.find("X-Forwarded-Port: 8443\r\n") != std::string::npos);
  CHECK(out.find("X-Forwarded-Proto: http\r\n") == std::string::npos);
}
