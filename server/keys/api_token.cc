#include "server/keys/api_token.h"

#include "server/common/random.h"
#include "server/common/sha256.h"

namespace ms {
namespace {
constexpr std::string_view kPrefix = "mst_";
constexpr size_t kRandomBytes = 20;
}  // namespace

Result<std::string> NewApiToken() {
  auto hex = RandomHex(kRandomBytes);
  if (!hex) return Failed("cannot draw random bytes for a token (OpenSSL RAND_bytes failed)");
  return std::string(kPrefix) + *hex;
}

std::string ApiTokenHash(std::string_view token) {
  Sha256 sha;
  sha.Update(token);
  return sha.HexDigest();
}

bool IsApiTokenShape(std::string_view text) {
  if (text.size() != kPrefix.size() + 2 * kRandomBytes || !text.starts_with(kPrefix)) return false;
  for (char c : text.substr(kPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::optional<Caller>> TokenCaller(Store& store, std::string_view token, int64_t now) {
  if (!IsApiTokenShape(token)) return std::optional<Caller>();
  auto found = store.UseToken(ApiTokenHash(token), now);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<Caller>();
  auto keys = store.KeysNamed((*found)->key_name);
  if (!keys) return std::unexpected(keys.error());
  if (keys->empty()) return std::optional<Caller>();
  return std::optional<Caller>(Caller{(*found)->key_name, keys->front().role, "", (*found)->name, "", (*found)->id});
}

}  // namespace ms
