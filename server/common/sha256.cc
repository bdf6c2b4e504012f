#include "server/common/sha256.h"

#include <openssl/evp.h>

#include <fmt/format.h>

namespace ms {

struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  state_->ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(state_->ctx); }

void Sha256::Update(std::string_view data) { EVP_DigestUpdate(state_->ctx, data.data(), data.size()); }

std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(state_->ctx, md, &size);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

std::string Sha256::Digest(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return "sha256:" + h.HexDigest();
}

}  // namespace ms
