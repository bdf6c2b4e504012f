#include "server/ssh/public_key.h"

#include <fmt/format.h>

#include <sstream>

namespace ms {

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
    auto fp = Fingerprint(raw);
    if (!fp) return std::unexpected(fp.error());
    key.fingerprint = *fp;
    return key;
  }
  return InvalidArgument(fmt::format("no public key given; {}", kHelp));
}

}  // namespace ms
