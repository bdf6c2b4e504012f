#include "server/api/websocket.h"

#include <openssl/sha.h>

#include <fmt/format.h>

#include "server/common/base64.h"

namespace ms {

std::string WebSocketAccept(std::string_view key) {
  std::string text = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string WebSocketFrame(WebSocketOpcode opcode, std::string_view payload) {
  std::string frame;
  frame.push_back(static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() <= 0xffff) {
    frame.push_back(126);
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    frame.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((uint64_t{payload.size()} >> shift) & 0xff));
  }
  frame.append(payload);
  return frame;
}

Result<void> WebSocketReader::Feed(std::string_view bytes, std::vector<WebSocketMessage>& out) {
  pending_.append(bytes);
  size_t at = 0;
  for (;;) {
    std::string_view rest = std::string_view(pending_).substr(at);
    if (rest.size() < 2) break;
    const auto b0 = static_cast<uint8_t>(rest[0]), b1 = static_cast<uint8_t>(rest[1]);
    const bool fin = b0 & 0x80;
    const auto opcode = static_cast<uint8_t>(b0 & 0x0f);
    if (b0 & 0x70) return InvalidArgument("a WebSocket frame has reserved bits set");
    if (!(b1 & 0x80)) return InvalidArgument("a client's WebSocket frame is not masked");
    uint64_t length = b1 & 0x7f;
    size_t head = 2;
    if (length == 126 || length == 127) {
      size_t bytes_of_length = length == 126 ? 2 : 8;
      if (rest.size() < head + bytes_of_length) break;
      length = 0;
      for (size_t i = 0; i < bytes_of_length; ++i) length = (length << 8) | static_cast<uint8_t>(rest[head + i]);
      head += bytes_of_length;
    }
    const bool control = opcode >= 8;
    if (control && (opcode > kWsPong || !fin || length > 125)) {
      return InvalidArgument("a WebSocket control frame is unknown, fragmented or over 125 bytes");
    }
    if (!control && opcode != kWsContinuation && opcode != kWsText && opcode != kWsBinary) {
      return InvalidArgument(fmt::format("WebSocket opcode {} is not defined", opcode));
    }
    if (length > max_message_ || (!control && message_.size() + length > max_message_)) {
      return InvalidArgument(fmt::format("a WebSocket message is over {} bytes", max_message_));
    }
    if (rest.size() < head + 4 + length) break;
    const char* mask = rest.data() + head;
    std::string payload(rest.substr(head + 4, length));
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ mask[i % 4]);
    at += head + 4 + length;
    if (control) {
      out.push_back({static_cast<WebSocketOpcode>(opcode), std::move(payload)});
      continue;
    }
    if (opcode == kWsContinuation) {
      if (!in_fragment_) return InvalidArgument("a WebSocket continuation frame without a message to continue");
    } else {
      if (in_fragment_) return InvalidArgument("a new WebSocket message before the last one ended");
      message_opcode_ = static_cast<WebSocketOpcode>(opcode);
      in_fragment_ = true;
    }
    message_ += payload;
    if (fin) {
      out.push_back({message_opcode_, std::move(message_)});
      message_.clear();
      in_fragment_ = false;
    }
  }
  pending_.erase(0, at);
  return {};
}

}  // namespace ms
