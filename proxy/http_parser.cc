#include "proxy/http_parser.h"

#include <array>
#include <cstring>

namespace ms::proxy {
namespace {

// RFC 9110 tchar.
constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr auto kToken = MakeTokenTable();

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!kToken[c]) return false;
  }
  return true;
}

// Field values: visible characters, obs-text, space and tab.
bool IsFieldValueChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits "a, b ,c" into trimmed tokens; false when an element is not a token.
template <typename Out>
bool SplitTokens(std::string_view value, Out& out) {
  while (true) {
    auto comma = value.find(',');
    auto item = Trim(value.substr(0, comma));
    if (!item.empty()) {
      if (!IsToken(item)) return false;
      out.push_back(item);
    }
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

bool Fail(MessageHead& out, int status, std::string why) {
  out.error_status = status;
  out.error = std::move(why);
  return false;
}

// Finds the end of the head (CRLF CRLF): the offset just past it, 0 when it is
// not complete yet, npos when a line ends in a bare LF. (A bare CR elsewhere
// fails the character checks of the line it is in.)
size_t HeadEnd(std::string_view data, MessageHead& out) {
  size_t from = 0;
  while (true) {
    const void* hit = from < data.size() ? std::memchr(data.data() + from, '\n', data.size() - from) : nullptr;
    if (!hit) return 0;
    size_t j = static_cast<size_t>(static_cast<const char*>(hit) - data.data());
    if (j == 0 || data[j - 1] != '\r') {
      Fail(out, 400, "a line ends in LF without CR");
      return std::string_view::npos;
    }
    if (j >= 3 && data[j - 2] == '\n' && data[j - 3] == '\r') return j + 1;
    from = j + 1;
  }
}

constexpr uint64_t kMaxLength = 999'999'999'999'999'999ull;  // 18 digits

bool ParseLength(std::string_view v, uint64_t& n) {
  if (v.empty() || v.size() > 18) return false;
  n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n <= kMaxLength;
}

// Parses header lines between begin and the head's end; fills framing fields.
bool ParseHeaders(std::string_view lines, const HeadLimits& limits, MessageHead& out) {
  int transfer_encodings = 0;
  while (!lines.empty()) {
    auto eol = lines.find("\r\n");
    std::string_view line = lines.substr(0, eol);
    lines.remove_prefix(eol == std::string_view::npos ? lines.size() : eol + 2);
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') return Fail(out, 400, "obsolete line folding");
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return Fail(out, 400, "a header line without a colon");
    std::string_view name = line.substr(0, colon);
    if (!IsToken(name)) return Fail(out, 400, "a header name with characters a token cannot have");
    for (unsigned char c : line.substr(colon + 1)) {
      if (!IsFieldValueChar(c)) return Fail(out, 400, "a control character in a header value");
    }
    std::string_view value = Trim(line.substr(colon + 1));
    if (out.headers.size() >= limits.max_headers) return Fail(out, 431, "too many headers");
    out.headers.push_back({name, value});

    if (EqualsIgnoreCase(name, "content-length")) {
      uint64_t n = 0;
      if (!ParseLength(value, n)) return Fail(out, 400, "an invalid Content-Length");
      if (out.content_length && *out.content_length != n) return Fail(out, 400, "conflicting Content-Length headers");
      out.content_length = n;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      ++transfer_encodings;
      if (transfer_encodings > 1 || !EqualsIgnoreCase(value, "chunked")) {
        return Fail(out, 400, "a Transfer-Encoding other than a single \"chunked\"");
      }
      out.chunked = true;
    } else if (EqualsIgnoreCase(name, "connection")) {
      if (!SplitTokens(value, out.connection_tokens)) return Fail(out, 400, "an invalid Connection header");
    }
  }
  if (out.chunked && out.content_length) return Fail(out, 400, "both Content-Length and Transfer-Encoding");
  if (out.chunked && out.minor_version == 0) return Fail(out, 400, "Transfer-Encoding in an HTTP/1.0 message");
  bool keep_alive = false;
  for (auto token : out.connection_tokens) {
    if (EqualsIgnoreCase(token, "close")) out.connection_close = true;
    if (EqualsIgnoreCase(token, "keep-alive")) keep_alive = true;
    if (EqualsIgnoreCase(token, "upgrade")) out.connection_upgrade = true;
  }
  if (out.minor_version == 0 && !keep_alive) out.connection_close = true;
  return true;
}

// "HTTP/1.1" or "HTTP/1.0"; other versions are refused.
bool ParseVersion(std::string_view v, MessageHead& out) {
  if (v == "HTTP/1.1") {
    out.minor_version = 1;
  } else if (v == "HTTP/1.0") {
    out.minor_version = 0;
  } else if (v.size() == 8 && v.starts_with("HTTP/") && v[5] >= '0' && v[5] <= '9' && v[6] == '.' &&
             v[7] >= '0' && v[7] <= '9') {
    return Fail(out, 505, "HTTP version not supported");
  } else {
    return Fail(out, 400, "not an HTTP/1.x request line");
  }
  return true;
}

template <typename Head>
Parse Begin(std::string_view data, const HeadLimits& limits, Head& out, size_t& skipped, size_t& end) {
  out = Head();
  // A few empty lines before a request line are tolerated (RFC 9112 2.2).
  skipped = 0;
  while (skipped + 1 < data.size() && data[skipped] == '\r' && data[skipped + 1] == '\n' && skipped < 8) skipped += 2;
  end = HeadEnd(data.substr(skipped), out);
  if (end == std::string_view::npos) return Parse::kError;
  if (end == 0) {
    if (data.size() > limits.max_size) {
      Fail(out, 431, "the head is larger than the limit");
      return Parse::kError;
    }
    return Parse::kIncomplete;
  }
  if (skipped + end > limits.max_size) {
    Fail(out, 431, "the head is larger than the limit");
    return Parse::kError;
  }
  out.size = skipped + end;
  return Parse::kDone;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> MessageHead::Find(std::string_view name) const {
  for (const auto& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

namespace {
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}
}  // namespace

Parse ParseRequestHead(std::string_view data, const HeadLimits& limits, RequestHead& out) {
  size_t skipped = 0, end = 0;
  if (auto r = Begin(data, limits, out, skipped, end); r != Parse::kDone) return r;
  std::string_view head = data.substr(skipped, end);
  auto eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    Fail(out, 400, "a request line is METHOD TARGET VERSION, single spaces");
    return Parse::kError;
  }
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!IsToken(out.method)) {
    Fail(out, 400, "an invalid method");
    return Parse::kError;
  }
  if (out.target.empty()) {
    Fail(out, 400, "an empty request target");
    return Parse::kError;
  }
  for (unsigned char c : out.target) {
    if (c <= 0x20 || c >= 0x7f) {
      Fail(out, 400, "a request target with spaces or control characters");
      return Parse::kError;
    }
  }
  if (!ParseVersion(line.substr(sp2 + 1), out)) return Parse::kError;
  if (!ParseHeaders(head.substr(eol + 2), limits, out)) return Parse::kError;

  int hosts = 0;
  for (const auto& h : out.headers) {
    if (EqualsIgnoreCase(h.name, "host")) {
      ++hosts;
      out.host = h.value;
    } else if (EqualsIgnoreCase(h.name, "expect")) {
      if (EqualsIgnoreCase(h.value, "100-continue")) {
        out.expect_continue = true;
      } else {
        Fail(out, 417, "an Expect other than 100-continue");
        return Parse::kError;
      }
    } else if (EqualsIgnoreCase(h.name, "upgrade") && out.connection_upgrade) {
      out.upgrade = h.value;
    }
  }
  if (hosts > 1 || (hosts == 0 && out.minor_version == 1)) {
    Fail(out, 400, "an HTTP/1.1 request needs exactly one Host header");
    return Parse::kError;
  }
  // Absolute form (GET http://host/path): the target's authority is the host
  // (RFC 9112 3.2.2) and the origin form goes upstream.
  if (StartsWithIgnoreCase(out.target, "http://") || StartsWithIgnoreCase(out.target, "https://")) {
    std::string_view rest = out.target.substr(out.target.find("//") + 2);
    size_t slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    if (authority.empty()) {
      Fail(out, 400, "an absolute request target without a host");
      return Parse::kError;
    }
    out.host = authority;
    out.target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (out.target.front() == '?') {
      Fail(out, 400, "an absolute request target with a query but no path");
      return Parse::kError;
    }
  }
  for (unsigned char c : out.host) {
    if (!(kToken[c] || c == ':' || c == '[' || c == ']') || c == '/' || c == '@') {
      Fail(out, 400, "an invalid Host header");
      return Parse::kError;
    }
  }
  return Parse::kDone;
}

Parse ParseResponseHead(std::string_view data, const HeadLimits& limits, ResponseHead& out) {
  size_t skipped = 0, end = 0;
  if (auto r = Begin(data, limits, out, skipped, end); r != Parse::kDone) return r;
  if (skipped != 0) {
    Fail(out, 502, "empty lines before a status line");
    return Parse::kError;
  }
  std::string_view head = data.substr(0, end);
  auto eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  // HTTP/1.1 SP 3DIGIT SP reason
  if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
    Fail(out, 502, "an invalid status line");
    return Parse::kError;
  }
  if (!ParseVersion(line.substr(0, 8), out)) {
    out.error_status = 502;
    return Parse::kError;
  }
  int status = 0;
  for (char c : line.substr(9, 3)) {
    if (c < '0' || c > '9') {
      Fail(out, 502, "an invalid status code");
      return Parse::kError;
    }
    status = status * 10 + (c - '0');
  }
  if (status < 100 || status > 599) {
    Fail(out, 502, "an invalid status code");
    return Parse::kError;
  }
  out.status = status;
  out.reason = line.size() > 13 ? line.substr(13) : std::string_view();
  for (unsigned char c : out.reason) {
    if (!IsFieldValueChar(c)) {
      Fail(out, 502, "a control character in the reason phrase");
      return Parse::kError;
    }
  }
  if (!ParseHeaders(head.substr(eol + 2), limits, out)) {
    out.error_status = 502;
    return Parse::kError;
  }
  return Parse::kDone;
}

bool ResponseHasBody(std::string_view request_method, int status) {
  if (request_method == "HEAD") return false;
  return !(status < 200 || status == 204 || status == 304);
}

namespace {

constexpr size_t kMaxChunkLine = 4096;       // a chunk extension or a trailer line
constexpr size_t kMaxTrailers = 16 * 1024;  // all trailers

int HexDigit(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

}  // namespace

size_t ChunkedScanner::Feed(std::string_view data) {
  size_t i = 0;
  while (i < data.size() && state_ != State::kDone && state_ != State::kError) {
    if (state_ == State::kData) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - i));
      i += take;
      remaining_ -= take;
      if (remaining_ == 0) state_ = State::kDataCr;
      continue;
    }
    if (!Step(data[i])) return i;
    ++i;
  }
  return i;
}

bool ChunkedScanner::Fail() {
  state_ = State::kError;
  return false;
}

bool ChunkedScanner::Go(State next) {
  state_ = next;
  return true;
}

bool ChunkedScanner::Expect(char c, char want, State next) { return c == want ? Go(next) : Fail(); }

bool ChunkedScanner::Step(char c) {
  auto byte = static_cast<unsigned char>(c);
  switch (state_) {
    case State::kSize:
      return StepSize(c);
    case State::kExtension:
      if (c == '\r') return Go(State::kSizeLf);
      if (c == '\n' || !IsFieldValueChar(byte) || ++line_bytes_ > kMaxChunkLine) return Fail();
      return true;
    case State::kSizeLf:
      return Expect(c, '\n', remaining_ == 0 ? State::kTrailerStart : State::kData);
    case State::kDataCr:
      return Expect(c, '\r', State::kDataLf);
    case State::kDataLf:
      size_digits_ = 0;
      remaining_ = 0;
      return Expect(c, '\n', State::kSize);
    case State::kTrailerStart:
      if (c == '\r') return Go(State::kEndLf);
      if (c == ' ' || c == '\t' || c == '\n' || !kToken[byte]) return Fail();
      state_ = State::kTrailer;
      line_bytes_ = 1;
      ++trailer_bytes_;
      return true;
    case State::kTrailer:
      if (c == '\r') return Go(State::kTrailerLf);
      if (c == '\n' || !IsFieldValueChar(byte) || ++line_bytes_ > kMaxChunkLine || ++trailer_bytes_ > kMaxTrailers) {
        return Fail();
      }
      return true;
    case State::kTrailerLf:
      return Expect(c, '\n', State::kTrailerStart);
    case State::kEndLf:
      return Expect(c, '\n', State::kDone);
    case State::kData:
    case State::kDone:
    case State::kError:
      break;
  }
  return false;
}

bool ChunkedScanner::StepSize(char c) {
  int digit = HexDigit(c);
  if (digit >= 0) {
    if (++size_digits_ > 15) return Fail();
    remaining_ = remaining_ * 16 + static_cast<uint64_t>(digit);
    return true;
  }
  if (size_digits_ > 0 && c == ';') {
    line_bytes_ = 0;
    return Go(State::kExtension);
  }
  if (size_digits_ > 0 && c == '\r') return Go(State::kSizeLf);
  return Fail();
}

}  // namespace ms::proxy
