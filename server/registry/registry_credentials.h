#pragma once
// The registry's one account. A registry on this host's loopback (settings:
// registry "localhost:PORT" or "127.0.0.1:PORT") takes no credentials: only
// this host reaches it. Any other registry address listens on every interface,
// so setup makes an account for it: DIR/credentials ("USER:PASSWORD", mode
// 0600, read by the daemon) and DIR/htpasswd (the password's bcrypt hash, read
// by the registry). The daemon then logs in for every push and pull it makes
// and hands the login to Swarm with each service, so every node's engine pulls
// with it. Pure functions and files; any thread.

#include <filesystem>
#include <optional>
#include <string>

#include "server/common/result.h"

namespace ms {

inline constexpr char kRegistryUser[] = "mothership";

struct RegistryCredentials {
  std::string username;
  std::string password;
};

// "HOST" of "HOST[:PORT]" or "[V6]:PORT": lower case, without a trailing dot.
std::string RegistryHost(const std::string& registry);

// True for "localhost:PORT" and "127.0.0.1:PORT" (any case, port optional).
bool RegistryOnLoopback(const std::string& registry);

// Where the registry listens: "127.0.0.1:PORT" on loopback, else "0.0.0.0:PORT"
// (port 5000 when the address has none).
std::string RegistryListenAddress(const std::string& registry);

// The credentials setup made for REGISTRY, read from DIR; nullopt for a
// registry on loopback. Fails, saying to run setup, when they are missing or
// unreadable.
Result<std::optional<RegistryCredentials>> LoadRegistryCredentials(const std::string& registry,
                                                                   const std::filesystem::path& dir);

// Makes DIR/credentials (a random password) and DIR/htpasswd the first time;
// afterwards returns the ones made then. Fails when DIR cannot be written.
Result<RegistryCredentials> EnsureRegistryCredentials(const std::filesystem::path& dir);

// "USER:$2b$10$..." (bcrypt, the hash docker-registry's htpasswd reads).
Result<std::string> HtpasswdLine(const RegistryCredentials& credentials);

// "Basic base64(USER:PASSWORD)", for the registry's HTTP API.
std::string BasicAuthorization(const RegistryCredentials& credentials);

}  // namespace ms
