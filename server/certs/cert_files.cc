#include "server/certs/cert_files.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace ms {

std::string CertFileName(int64_t app_id, const std::string& source) {
  return fmt::format("app-{}-{}.pem", app_id, source);
}

std::string AcmeCertFileName(int64_t app_id, const std::string& host) {
  return app_id == 0 ? fmt::format("platform-acme-{}.pem", host) : fmt::format("app-{}-acme-{}.pem", app_id, host);
}

void RemoveCertFiles(const std::filesystem::path& certs_dir, int64_t app_id) {
  const std::string prefix = fmt::format("app-{}-", app_id);
  std::error_code ec;
  std::vector<std::filesystem::path> doomed;
  for (const auto& entry : std::filesystem::directory_iterator(certs_dir, ec)) {
    if (entry.path().filename().string().starts_with(prefix)) doomed.push_back(entry.path());
  }
  for (const auto& path : doomed) std::filesystem::remove(path, ec);
}

Result<void> WriteSecretFile(const std::filesystem::path& path, std::string_view text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  auto tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Failed(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
  bool ok = ::fchmod(fd, 0600) == 0;
  for (size_t at = 0; ok && at < text.size();) {
    ssize_t n = ::write(fd, text.data() + at, text.size() - at);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) at += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    std::filesystem::remove(tmp, ec);
    return Failed(fmt::format("cannot write {}: {}", path.string(), std::strerror(saved)));
  }
  return {};
}

Result<void> EnsureTlsSecret(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return {};
  std::string secret(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), static_cast<int>(secret.size())) != 1) {
    return Failed("cannot make the proxy's TLS secret: OpenSSL has no randomness");
  }
  return WriteSecretFile(path, secret);
}

}  // namespace ms
