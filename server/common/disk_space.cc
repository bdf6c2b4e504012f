#include "server/common/disk_space.h"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cctype>

namespace ms {

std::optional<uint64_t> FreeMb(const std::filesystem::path& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize / (1024 * 1024);
}

std::string DiskFullAdvice(const std::filesystem::path& path, std::string_view error) {
  if (auto free = FreeMb(path); free && *free < kPushNeedsFreeMb) {
    return fmt::format(
        "the server's disk is full: {} MB free under {}. Ask the server's operator to free space, then push again.",
        *free, path.string());
  }
  std::string lower(error);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("no space left on device") != std::string::npos) {
    return "the server ran out of disk space (the Docker engine's or the data directory's). Ask the server's "
           "operator to free space (for example unused images: docker image prune), then push again.";
  }
  return "";
}

}  // namespace ms
