#include "server/ssh/host_key.h"

#include <fmt/format.h>
#include <libssh/libssh.h>
#include <sys/stat.h>

#include "server/keys/public_key.h"

namespace ms {

Result<bool> EnsureHostKey(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return false;
  ssh_key key = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
    return Failed("cannot generate an Ed25519 host key");
  }
  SshKeyPtr owned(key);
  auto tmp = path;
  tmp += ".tmp";
  mode_t old = umask(077);
  int rc = ssh_pki_export_privkey_file(key, nullptr, nullptr, nullptr, tmp.c_str());
  umask(old);
  if (rc != SSH_OK) return Failed(fmt::format("cannot write host key {}", tmp.string()));
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Failed(fmt::format("cannot write host key {}: {}", path.string(), ec.message()));
  return true;
}

Result<std::string> HostKeyFingerprint(const std::filesystem::path& path) {
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
    return Failed(fmt::format("cannot read host key {}", path.string()));
  }
  SshKeyPtr owned(key);
  ssh_key pub = nullptr;
  if (ssh_pki_export_privkey_to_pubkey(key, &pub) != SSH_OK) {
    return Failed("cannot derive the host public key");
  }
  SshKeyPtr owned_pub(pub);
  return Fingerprint(pub);
}

}  // namespace ms
