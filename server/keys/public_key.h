#pragma once
// SSH public keys as users hand them over ("ssh-ed25519 AAAA... comment", one line
// of an authorized_keys or .pub file) and their SHA256 fingerprints, the identity
// Mothership stores. Pure functions over libssh, any thread.

#include <libssh/libssh.h>

#include <memory>
#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms {

struct SshKeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using SshKeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, SshKeyDeleter>;

struct ParsedPublicKey {
  std::string type;         // "ssh-ed25519"
  std::string base64;       // the key blob
  std::string comment;      // may be empty
  std::string fingerprint;  // "SHA256:..."
  std::string Line() const { return type + " " + base64; }
};

// Parses the first non-empty, non-comment line. Fails with a message that says what
// a public key looks like (and, for a private key, that it must not be sent).
Result<ParsedPublicKey> ParsePublicKey(std::string_view text);

// "SHA256:<base64>" of a key, as `ssh-keygen -l` prints it.
Result<std::string> Fingerprint(ssh_key key);

}  // namespace ms
