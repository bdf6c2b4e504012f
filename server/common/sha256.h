#pragma once
// Sha256: SHA-256 digests (OpenSSL's libcrypto, which libssh already needs), the
// content addresses of image layers, configs and manifests.

#include <memory>
#include <string>
#include <string_view>

namespace ms {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view data);
  // Lower-case hex of the digest; call once.
  std::string HexDigest();

  // "sha256:<hex>" of data, the form registries use.
  static std::string Digest(std::string_view data);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ms
