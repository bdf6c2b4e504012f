#pragma once
// Strict HTTP/1.1 message heads and chunked framing for the proxy. Everything
// that lets two parsers disagree about where a message ends is refused:
// Content-Length together with Transfer-Encoding, conflicting or malformed
// lengths, codings other than "chunked", obsolete line folding, bare CR or LF
// line ends, whitespace before a colon, control characters. Pure functions on
// bytes already read; the caller owns the buffer the views point into.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

namespace ms::proxy {

enum class Parse { kIncomplete, kDone, kError };

struct Header {
  std::string_view name;
  std::string_view value;
};

// What both heads share: headers and how the body is framed.
struct MessageHead {
  int minor_version = 1;  // HTTP/1.0 or HTTP/1.1
  // Inline room for the usual number: no allocation per request.
  boost::container::small_vector<Header, 24> headers;
  size_t size = 0;  // bytes of the head, final CRLF CRLF included
  bool chunked = false;
  std::optional<uint64_t> content_length;
  bool connection_close = false;       // "Connection: close", or 1.0 without keep-alive
  bool connection_upgrade = false;     // "upgrade" among the Connection tokens
  boost::container::small_vector<std::string_view, 4> connection_tokens;  // headers named there are hop-by-hop
  // On kError: the status to answer with and why.
  int error_status = 400;
  std::string error;

  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string_view> Find(std::string_view name) const;
};

struct RequestHead : MessageHead {
  std::string_view method;
  std::string_view target;
  std::string_view host;  // the Host header
  bool expect_continue = false;
  std::string_view upgrade;  // the Upgrade header when Connection names it
};

struct ResponseHead : MessageHead {
  int status = 0;
  std::string_view reason;
};

// Limits a head must keep.
struct HeadLimits {
  size_t max_size = 16 * 1024;
  size_t max_headers = 100;
};

// Parses the head at the start of data. kIncomplete when more bytes may finish
// it (and it is not over the size limit: then kError with 431).
Parse ParseRequestHead(std::string_view data, const HeadLimits& limits, RequestHead& out);
Parse ParseResponseHead(std::string_view data, const HeadLimits& limits, ResponseHead& out);

// Whether a response to this request has a body at all (HEAD, 1xx, 204, 304 do not).
bool ResponseHasBody(std::string_view request_method, int status);

// Follows a chunked body as its raw bytes pass through, to find where it ends;
// the bytes are forwarded unchanged. Chunk extensions and trailers are kept
// within limits.
class ChunkedScanner {
 public:
  // Consumes bytes of the body from the front of data; returns how many belong
  // to it (fewer than data.size() only when the body ended or is malformed).
  size_t Feed(std::string_view data);
  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kError; }
  void Reset() { *this = ChunkedScanner(); }

 private:
  enum class State { kSize, kExtension, kSizeLf, kData, kDataCr, kDataLf, kTrailerStart, kTrailer, kTrailerLf, kEndLf, kDone, kError };
  // One byte of the framing around the data; false (and kError) when it is
  // not well formed.
  bool Step(char c);
  bool StepSize(char c);
  bool Expect(char c, char want, State next);  // want, then next
  bool Go(State next);
  bool Fail();
  State state_ = State::kSize;
  uint64_t remaining_ = 0;
  int size_digits_ = 0;
  size_t line_bytes_ = 0;     // of the current extension or trailer line
  size_t trailer_bytes_ = 0;  // of all trailers
};

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace ms::proxy
