#pragma once
// WebSocket (RFC 6455) for the dashboard's terminal: the handshake's accept
// value, server frames, and a reader of client frames that enforces the RFC's
// rules (client frames masked, no reserved bits, control frames short and
// whole, continuations only after a fragment) and a size limit. Pure: a
// tenant's bytes go through WebSocketReader::Feed (test/fuzz/websocket_fuzz.cc).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"

namespace ms {

enum WebSocketOpcode : uint8_t { kWsContinuation = 0, kWsText = 1, kWsBinary = 2, kWsClose = 8, kWsPing = 9, kWsPong = 10 };

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
std::string WebSocketAccept(std::string_view key);
// One unmasked, final frame as a server sends it.
std::string WebSocketFrame(WebSocketOpcode opcode, std::string_view payload);

struct WebSocketMessage {
  WebSocketOpcode opcode = kWsText;  // text, binary, close, ping or pong
  std::string payload;
};

class WebSocketReader {
 public:
  explicit WebSocketReader(size_t max_message) : max_message_(max_message) {}
  // Takes the next bytes from the client and appends each message they
  // complete; an InvalidArgument error (then close the connection) when they
  // break the protocol or a message is over the limit.
  Result<void> Feed(std::string_view bytes, std::vector<WebSocketMessage>& out);

 private:
  size_t max_message_;
  std::string pending_;         // bytes of a frame not yet whole
  std::string message_;         // a fragmented message so far
  WebSocketOpcode message_opcode_ = kWsText;
  bool in_fragment_ = false;
};

}  // namespace ms
