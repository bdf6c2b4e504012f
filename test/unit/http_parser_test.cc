// The proxy's strict HTTP/1.1 parser: good heads, framing, and the corpus of
// malformed and smuggling requests (test/support/malformed_requests.h).

#include <catch2/catch.hpp>

#include "proxy/http_parser.h"
#include "test/support/malformed_requests.h"

using ms::proxy::ChunkedScanner;
using ms::proxy::HeadLimits;
using ms::proxy::Parse;
using ms::proxy::RequestHead;
using ms::proxy::ResponseHead;

namespace {

// The status the proxy answers a whole request with: 0 when it is fine.
int Verdict(const std::string& bytes) {
  RequestHead req;
  auto r = ms::proxy::ParseRequestHead(bytes, HeadLimits{}, req);
  if (r == Parse::kError) return req.error_status;
  if (r == Parse::kIncomplete) return -1;
  if (req.chunked) {
    ChunkedScanner scanner;
    scanner.Feed(std::string_view(bytes).substr(req.size));
    if (scanner.failed()) return 400;
  }
  return 0;
}

}  // namespace

TEST_CASE("ParseRequestHead reads a keep-alive GET and its headers", "[proxy]") {
  std::string bytes = "GET /a?b=1 HTTP/1.1\r\nHost: Shop.localhost:8080\r\nX-Empty:\r\nAccept:  */*  \r\n\r\nNEXT";
  RequestHead req;
  REQUIRE(ms::proxy::ParseRequestHead(bytes, HeadLimits{}, req) == Parse::kDone);
  CHECK(req.method == "GET");
  CHECK(req.target == "/a?b=1");
  CHECK(req.minor_version == 1);
  CHECK(req.host == "Shop.localhost:8080");
  CHECK(req.size == bytes.size() - 4);
  CHECK(*req.Find("accept") == "*/*");
  CHECK(*req.Find("x-empty") == "");
  CHECK_FALSE(req.connection_close);
  CHECK_FALSE(req.chunked);
  CHECK_FALSE(req.content_length);
}

TEST_CASE("ParseRequestHead waits for the whole head and enforces the size limit", "[proxy]") {
  RequestHead req;
  CHECK(ms::proxy::ParseRequestHead("GET / HTTP/1.1\r\nHost: a\r\n", HeadLimits{}, req) == Parse::kIncomplete);
  CHECK(ms::proxy::ParseRequestHead("GET / HTTP/1.1\r\nHost: a\r\n\r", HeadLimits{}, req) == Parse::kIncomplete);
  HeadLimits small;
  small.max_size = 64;
  std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(100, 'x');
  CHECK(ms::proxy::ParseRequestHead(big, small, req) == Parse::kError);
  CHECK(req.error_status == 431);
  HeadLimits few;
  few.max_headers = 2;
  CHECK(ms::proxy::ParseRequestHead("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", few, req) == Parse::kError);
  CHECK(req.error_status == 431);
}

TEST_CASE("ParseRequestHead reads framing - Connection - Upgrade - Expect - HTTP/1.0", "[proxy]") {
  RequestHead req;
  REQUIRE(ms::proxy::ParseRequestHead("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nContent-Length: 12\r\n"
                                      "Expect: 100-continue\r\nConnection: close\r\n\r\n",
                                      HeadLimits{}, req) == Parse::kDone);
  CHECK(*req.content_length == 12);
  CHECK(req.expect_continue);
  CHECK(req.connection_close);
  REQUIRE(ms::proxy::ParseRequestHead("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
                                      "Upgrade: websocket\r\n\r\n",
                                      HeadLimits{}, req) == Parse::kDone);
  CHECK(req.connection_upgrade);
  CHECK(req.upgrade == "websocket");
  REQUIRE(ms::proxy::ParseRequestHead("GET / HTTP/1.0\r\n\r\n", HeadLimits{}, req) == Parse::kDone);
  CHECK(req.connection_close);
  REQUIRE(ms::proxy::ParseRequestHead("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", HeadLimits{}, req) == Parse::kDone);
  CHECK_FALSE(req.connection_close);
  REQUIRE(ms::proxy::ParseRequestHead("\r\nPOST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", HeadLimits{}, req) ==
          Parse::kDone);
  CHECK(req.chunked);
}

TEST_CASE("Malformed and smuggling requests are refused with 400", "[proxy]") {
  for (const auto& bad : ms::test::MalformedRequests()) {
    INFO(bad.name);
    CHECK(Verdict(bad.bytes) == 400);
  }
  for (const auto& [bad, status] : ms::test::RefusedRequests()) {
    INFO(bad.name);
    CHECK(Verdict(bad.bytes) == status);
  }
}

TEST_CASE("ChunkedScanner finds the end of a chunked body fed in pieces", "[proxy]") {
  std::string body = "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nNEXT";
  for (size_t step : {size_t{1}, size_t{3}, size_t{7}, body.size()}) {
    ChunkedScanner scanner;
    size_t taken = 0;
    for (size_t at = 0; at < body.size() && !scanner.done(); at += step) {
      size_t piece = std::min(step, body.size() - at);
      size_t n = scanner.Feed(std::string_view(body).substr(at, piece));
      taken += n;
      if (n < piece) break;
    }
    INFO("step " << step);
    CHECK(scanner.done());
    CHECK_FALSE(scanner.failed());
    CHECK(taken == body.size() - 4);
  }
}

TEST_CASE("ParseResponseHead reads status and framing and refuses bad answers with 502", "[proxy]") {
  ResponseHead resp;
  REQUIRE(ms::proxy::ParseResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", HeadLimits{}, resp) == Parse::kDone);
  CHECK(resp.status == 200);
  CHECK(resp.reason == "OK");
  CHECK(*resp.content_length == 5);
  REQUIRE(ms::proxy::ParseResponseHead("HTTP/1.1 204\r\n\r\n", HeadLimits{}, resp) == Parse::kDone);
  CHECK(resp.status == 204);
  CHECK_FALSE(ms::proxy::ResponseHasBody("GET", 204));
  CHECK_FALSE(ms::proxy::ResponseHasBody("HEAD", 200));
  CHECK(ms::proxy::ResponseHasBody("GET", 200));
  for (std::string bad : {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "HTTP/1.1 700 X\r\n\r\n",
                          "ICY 200 OK\r\n\r\n"}) {
    INFO(bad);
    CHECK(ms::proxy::ParseResponseHead(bad, HeadLimits{}, resp) == Parse::kError);
    CHECK(resp.error_status == 502);
  }
}
