#include "server/common/random.h"

#include <openssl/rand.h>

#include <fmt/format.h>

namespace ms {

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Failed("cannot draw random bytes (OpenSSL RAND_bytes failed)");
  }
  std::string hex;
  hex.reserve(bytes * 2);
  for (unsigned char c : raw) hex += fmt::format("{:02x}", c);
  return hex;
}

}  // namespace ms
