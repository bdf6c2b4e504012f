#include "server/keys/public_key.h"

#include <fmt/format.h>

#include <sstream>

namespace ms {
namespace {

// The key type named inside the key blob itself (its first SSH string).
std::string BlobKeyType(const std::string& base64) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  uint32_t bits = 0;
  int count = 0;
  for (char c : base64.substr(0, 96)) {
    auto v = kAlphabet.find(c);
    if (v == std::string::npos) break;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      bytes.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  if (bytes.size() < 4) return "";
  uint32_t len = (uint32_t(uint8_t(bytes[0])) << 24) | (uint32_t(uint8_t(bytes[1])) << 16) |
                 (uint32_t(uint8_t(bytes[2])) << 8) | uint32_t(uint8_t(bytes[3]));
  if (len > bytes.size() - 4) return "";
  return bytes.substr(4, len);
}

}  // namespace

Result<std::string> Fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t len = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) != SSH_OK) {
    return Failed("cannot hash the public key");
  }
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
  ssh_clean_pubkey_hash(&hash);
  if (!text) return Failed("cannot format the key fingerprint");
  std::string out = text;
  ssh_string_free_char(text);
  return out;
}

Result<ParsedPublicKey> ParsePublicKey(std::string_view text) {
  const std::string kHelp =
      "expected one public key line such as 'ssh-ed25519 AAAAC3Nza... you@laptop' (the "
      "contents of ~/.ssh/id_ed25519.pub)";
  if (text.find("PRIVATE KEY") != std::string_view::npos) {
    return InvalidArgument(
        "that is a private key; never share it. Send the public key (the .pub file) instead");
  }
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream words(line.substr(first));
    ParsedPublicKey key;
    words >> key.type >> key.base64;
    std::getline(words >> std::ws, key.comment);
    if (key.base64.empty()) return InvalidArgument(kHelp);
    enum ssh_keytypes_e type = ssh_key_type_from_name(key.type.c_str());
    if (type == SSH_KEYTYPE_UNKNOWN) {
      return InvalidArgument(fmt::format("unknown key type '{}'; {}", key.type.substr(0, 40), kHelp));
    }
    ssh_key raw = nullptr;
    if (ssh_pki_import_pubkey_base64(key.base64.c_str(), type, &raw) != SSH_OK) {
      return InvalidArgument(fmt::format("the key data is not a valid {} key; {}", key.type.substr(0, 40), kHelp));
    }
    SshKeyPtr owned(raw);
    std::string actual = BlobKeyType(key.base64);
    if (actual != key.type) {
      return InvalidArgument(fmt::format("the key data is a {} key but the line says {}; {}", actual,
                                         key.type.substr(0, 40), kHelp));
    }
    auto fp = Fingerprint(raw);
    if (!fp) return std::unexpected(fp.error());
    key.fingerprint = *fp;
    return key;
  }
  return InvalidArgument(fmt::format("no public key given; {}", kHelp));
}

}  // namespace ms
