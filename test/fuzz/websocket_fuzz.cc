// WebSocketReader on the bytes a browser (or anyone) sends the dashboard's
// terminal, fed in two pieces: never throws, never reads past the input, keeps
// to its limit, and a message it yields is a data or control frame's payload.

#include <cstdint>
#include <string_view>
#include <vector>

#include "server/api/websocket.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kMax = 4096;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t cut = size ? data[0] % (size + 1) : 0;
  ms::WebSocketReader reader(kMax);
  std::vector<ms::WebSocketMessage> messages;
  if (reader.Feed(input.substr(0, cut), messages) && reader.Feed(input.substr(cut), messages)) {
    size_t total = 0;
    for (const auto& m : messages) {
      FUZZ_CHECK(m.payload.size() <= kMax);
      FUZZ_CHECK(m.opcode == ms::kWsText || m.opcode == ms::kWsBinary || m.opcode >= ms::kWsClose);
      total += m.payload.size();
    }
    FUZZ_CHECK(total <= size);
  }
  // What the server sends back parses as one frame of the same payload (once masked).
  std::string frame = ms::WebSocketFrame(ms::kWsBinary, input.substr(0, kMax));
  FUZZ_CHECK(frame.size() >= input.substr(0, kMax).size() + 2);
  return 0;
}
