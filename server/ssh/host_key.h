#pragma once
// The server's SSH host key: an Ed25519 private key file in the data directory,
// made once by setup and read by the daemon at every start, so clients see the
// same fingerprint across restarts.

#include <filesystem>
#include <string>

#include "server/common/result.h"

namespace ms {

// Creates the key file (mode 0600) when it does not exist; leaves an existing one.
// Returns true when a key was created.
Result<bool> EnsureHostKey(const std::filesystem::path& path);

// SHA256 fingerprint of the key in the file.
Result<std::string> HostKeyFingerprint(const std::filesystem::path& path);

}  // namespace ms
