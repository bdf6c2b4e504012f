#include "server/registry/registry_credentials.h"

#include <crypt.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "server/common/base64.h"
#include "server/common/random.h"

namespace ms {
namespace {

std::string PortOf(const std::string& registry) {
  auto colon = registry.rfind(':');
  return colon == std::string::npos ? "5000" : registry.substr(colon + 1);
}

// Writes path with mode 0600 (through a temporary file, so a reader never sees
// half of it).
Result<void> WritePrivateFile(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Failed(fmt::format("cannot write {}: {}", tmp.string(), strerror(errno)));
  bool ok = fchmod(fd, 0600) == 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Failed(fmt::format("cannot write {}: {}", path.string(), strerror(errno)));
  }
  return {};
}

Result<RegistryCredentials> ReadCredentials(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) return NotFound(fmt::format("{} is missing", file.string()));
  auto colon = line.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == line.size()) {
    return Failed(fmt::format("{} is not USER:PASSWORD", file.string()));
  }
  return RegistryCredentials{line.substr(0, colon), line.substr(colon + 1)};
}

}  // namespace

std::string RegistryHost(const std::string& registry) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  if (!registry.empty() && registry.front() == '[') {
    auto end = registry.find(']');
    return lower(registry.substr(1, end == std::string::npos ? std::string::npos : end - 1));
  }
  std::string host = lower(registry.substr(0, registry.find(':')));
  while (!host.empty() && host.back() == '.') host.pop_back();  // "localhost." is localhost
  return host;
}

bool RegistryOnLoopback(const std::string& registry) {
  std::string host = RegistryHost(registry);
  return host == "localhost" || host == "127.0.0.1";
}

std::string RegistryListenAddress(const std::string& registry) {
  return (RegistryOnLoopback(registry) ? "127.0.0.1:" : "0.0.0.0:") + PortOf(registry);
}

Result<std::optional<RegistryCredentials>> LoadRegistryCredentials(const std::string& registry,
                                                                   const std::filesystem::path& dir) {
  if (RegistryOnLoopback(registry)) return std::optional<RegistryCredentials>();
  auto read = ReadCredentials(dir / "credentials");
  if (!read) {
    return Failed(fmt::format("the registry {} listens beyond loopback and needs credentials, but {}; run "
                              "`mothershipd setup` to make them",
                              registry, read.error().message));
  }
  return std::optional<RegistryCredentials>(*read);
}

Result<RegistryCredentials> EnsureRegistryCredentials(const std::filesystem::path& dir) {
  auto existing = ReadCredentials(dir / "credentials");
  if (existing) {
    if (!std::filesystem::exists(dir / "htpasswd")) {
      auto line = HtpasswdLine(*existing);
      if (!line) return std::unexpected(line.error());
      if (auto r = WritePrivateFile(dir / "htpasswd", *line + "\n"); !r) return std::unexpected(r.error());
    }
    return existing;
  }
  if (existing.error().code != ErrorCode::kNotFound) return existing;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Failed(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  auto password = RandomHex(24);
  if (!password) return std::unexpected(password.error());
  RegistryCredentials made{kRegistryUser, *password};
  auto line = HtpasswdLine(made);
  if (!line) return std::unexpected(line.error());
  // The hash first: credentials without it would never be hashed again.
  if (auto r = WritePrivateFile(dir / "htpasswd", *line + "\n"); !r) return std::unexpected(r.error());
  if (auto r = WritePrivateFile(dir / "credentials", made.username + ":" + made.password + "\n"); !r) {
    return std::unexpected(r.error());
  }
  return made;
}

Result<std::string> HtpasswdLine(const RegistryCredentials& credentials) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$2b$", 10, nullptr, 0, salt, sizeof salt)) {
    return Failed(fmt::format("cannot make a bcrypt salt: {}", strerror(errno)));
  }
  crypt_data data{};
  const char* hash = crypt_rn(credentials.password.c_str(), salt, &data, sizeof data);
  if (!hash || hash[0] == '*') return Failed("cannot hash the registry's password with bcrypt");
  return credentials.username + ":" + hash;
}

std::string BasicAuthorization(const RegistryCredentials& credentials) {
  return "Basic " + Base64Encode(credentials.username + ":" + credentials.password);
}

}  // namespace ms
