// The proxy's HTTP/1.1 head parsers on bytes from a client (request) or an
// app (response): never overrun, and a head they accept is whole at its
// start (parsing just its bytes gives the same head), with one framing.
// The bytes after a request head go through its body's Framing.

#include <cstdint>
#include <string_view>

#include "proxy/framing.h"
#include "proxy/http_parser.h"
#include "test/fuzz/check.h"

namespace {

template <class Head, class ParseFn>
const Head* Check(std::string_view data, ParseFn parse, Head& head) {
  ms::proxy::HeadLimits limits;
  limits.max_size = 4096;
  limits.max_headers = 32;
  ms::proxy::Parse result = parse(data, limits, head);
  if (result == ms::proxy::Parse::kError) {
    FUZZ_CHECK(head.error_status >= 400 && head.error_status < 600);
    return nullptr;
  }
  if (result == ms::proxy::Parse::kIncomplete) {
    FUZZ_CHECK(data.size() <= limits.max_size);
    return nullptr;
  }
  FUZZ_CHECK(head.size > 0 && head.size <= data.size() && head.size <= limits.max_size);
  FUZZ_CHECK(!(head.chunked && head.content_length));
  FUZZ_CHECK(head.headers.size() <= limits.max_headers);
  for (const auto& header : head.headers) {
    FUZZ_CHECK(header.name.data() >= data.data() && header.name.data() + header.name.size() <= data.data() + head.size);
    FUZZ_CHECK(header.value.data() >= data.data() && header.value.data() + header.value.size() <= data.data() + head.size);
  }
  Head again;
  FUZZ_CHECK(parse(data.substr(0, head.size), limits, again) == ms::proxy::Parse::kDone);
  FUZZ_CHECK(again.size == head.size && again.headers.size() == head.headers.size());
  FUZZ_CHECK(again.chunked == head.chunked && again.content_length == head.content_length);
  return &head;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ms::proxy::RequestHead request;
  if (Check(bytes, ms::proxy::ParseRequestHead, request)) {
    FUZZ_CHECK(!request.method.empty() && !request.target.empty());
    auto framing = ms::proxy::Framing::For(request, true);
    std::string_view body = bytes.substr(request.size);
    size_t taken = framing.Take(body);
    FUZZ_CHECK(taken <= body.size());
    FUZZ_CHECK(taken == body.size() || framing.Done() || framing.Failed());
  }
  ms::proxy::ResponseHead response;
  if (Check(bytes, ms::proxy::ParseResponseHead, response)) {
    FUZZ_CHECK(response.status >= 100 && response.status <= 999);
  }
  return 0;
}
