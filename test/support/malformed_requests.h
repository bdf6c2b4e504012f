#pragma once
// Requests the proxy must refuse with 400 (and then close the connection):
// malformed heads and the classic request-smuggling shapes. The unit tests
// feed them to the parser; the end-to-end test sends them to a running proxy.

#include <string>
#include <vector>

namespace ms::test {

struct BadRequest {
  std::string name;
  std::string bytes;
};

inline std::vector<BadRequest> MalformedRequests() {
  const std::string h = "Host: app.localhost\r\n";
  return {
      {"CL and TE together", "POST / HTTP/1.1\r\n" + h + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"TE and CL together", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"},
      {"conflicting CL", "POST / HTTP/1.1\r\n" + h + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"},
      {"CL list", "POST / HTTP/1.1\r\n" + h + "Content-Length: 4, 5\r\n\r\nabcde"},
      {"negative CL", "POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n"},
      {"CL with plus", "POST / HTTP/1.1\r\n" + h + "Content-Length: +4\r\n\r\nabcd"},
      {"hex CL", "POST / HTTP/1.1\r\n" + h + "Content-Length: 0x4\r\n\r\nabcd"},
      {"CL too big", "POST / HTTP/1.1\r\n" + h + "Content-Length: 99999999999999999999\r\n\r\n"},
      {"space before colon", "POST / HTTP/1.1\r\n" + h + "Content-Length : 4\r\n\r\nabcd"},
      {"TE space before colon", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"},
      {"obs-fold", "GET / HTTP/1.1\r\n" + h + "X-A: 1\r\n folded\r\n\r\n"},
      {"obs-fold of TE", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"},
      {"bare LF line end", "GET / HTTP/1.1\n" + std::string("Host: app.localhost\n\n")},
      {"bare CR in header", "GET / HTTP/1.1\r\n" + h + "X-A: 1\r2\r\n\r\n"},
      {"NUL in header", std::string("GET / HTTP/1.1\r\n") + h + std::string("X-A: 1\0 2\r\n\r\n", 13)},
      {"no Host", "GET / HTTP/1.1\r\n\r\n"},
      {"two Hosts", "GET / HTTP/1.1\r\n" + h + h + "\r\n"},
      {"bad Host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"},
      {"Host with userinfo", "GET / HTTP/1.1\r\nHost: user@app.localhost\r\n\r\n"},
      {"bad method", "G(T / HTTP/1.1\r\n" + h + "\r\n"},
      {"space in target", "GET /a b HTTP/1.1\r\n" + h + "\r\n"},
      {"double space", "GET  / HTTP/1.1\r\n" + h + "\r\n"},
      {"lowercase version", "GET / http/1.1\r\n" + h + "\r\n"},
      {"garbage version", "GET / HTTP/1.x\r\n" + h + "\r\n"},
      {"no version", "GET /\r\n" + h + "\r\n"},
      {"header without colon", "GET / HTTP/1.1\r\n" + h + "X-A 1\r\n\r\n"},
      {"empty header name", "GET / HTTP/1.1\r\n" + h + ": 1\r\n\r\n"},
      {"TE in HTTP/1.0", "POST / HTTP/1.0\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"chunk size with space", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n4 \r\nabcd\r\n0\r\n\r\n"},
      {"chunk size 0x", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0x4\r\nabcd\r\n0\r\n\r\n"},
      {"chunk size empty", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n\r\nabcd\r\n0\r\n\r\n"},
      {"chunk without CRLF after data", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n4\r\nabcdX\r\n0\r\n\r\n"},
      {"chunk size LF only", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n4\nabcd\r\n0\r\n\r\n"},
      {"TE gzip", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n\r\n"},
      {"TE chunked twice", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"TE list", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"},
      {"TE xchunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"},
      {"TE with CL in other case", "POST / HTTP/1.1\r\n" + h + "transfer-encoding: Chunked\r\ncontent-length: 3\r\n\r\n0\r\n\r\n"},
      {"chunk size too long", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n10000000000000000\r\na\r\n0\r\n\r\n"},
  };
}

// Bad requests answered otherwise than 400: other Expect values (417), other
// HTTP versions (505).
inline std::vector<std::pair<BadRequest, int>> RefusedRequests() {
  const std::string h = "Host: app.localhost\r\n";
  return {
      {{"Expect other", "POST / HTTP/1.1\r\n" + h + "Expect: 200-ok\r\nContent-Length: 1\r\n\r\na"}, 417},
      {{"HTTP/2.0 line", "GET / HTTP/2.0\r\n" + h + "\r\n"}, 505},
  };
}

}  // namespace ms::test
