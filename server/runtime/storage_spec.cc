#include "server/runtime/storage_spec.h"

#include <array>
#include <string_view>

#include <fmt/format.h>

namespace ms {

Result<void> ValidateStorageName(const std::string& name) {
  bool ok = name.size() >= 2 && name.size() <= 40 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok) {
    return InvalidArgument(fmt::format(
        "'{}' is not a storage name: use 2 to 40 lower-case letters, digits and dashes, not starting or ending "
        "with a dash (storage:mount APP NAME:/path)",
        name.substr(0, 64)));
  }
  return {};
}

Result<void> ValidateStoragePath(const std::string& path) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument(fmt::format("'{}' cannot be a storage path: {}", path.substr(0, 100), why));
  };
  if (path.empty() || path.front() != '/') return bad("give an absolute path (/app/uploads, /data)");
  if (path.size() > 200) return bad("it is longer than 200 characters");
  for (char c : path) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '/';
    if (!ok) return bad("use letters, digits and . _ - / only");
  }
  if (path == "/") return bad("a volume there would hide the whole system");
  // Each part: not empty, not "." or "..".
  for (size_t start = 1; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view part(path.data() + start, end - start);
    if (part.empty() || part == "." || part == "..") return bad("no empty, '.' or '..' parts, and no trailing /");
    start = end + 1;
  }
  // Where a volume would hide the app's code or the system.
  constexpr std::array<std::string_view, 7> kTrees = {"/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/sbin"};
  for (auto tree : kTrees) {
    if (path == tree || path.starts_with(std::string(tree) + "/")) return bad("it is a system directory");
  }
  constexpr std::array<std::string_view, 7> kExact = {"/app", "/lib", "/lib64", "/layers", "/cnb", "/tmp", "/run"};
  for (auto dir : kExact) {
    if (path == dir) return bad("a volume there would hide the app or the system (use a directory under it)");
  }
  if (path.starts_with("/lib/") || path.starts_with("/lib64/")) return bad("it is a system directory");
  return {};
}

Result<std::pair<std::string, std::string>> ParseStorageMount(const std::string& text) {
  auto colon = text.find(':');
  if (colon == std::string::npos) {
    return InvalidArgument(fmt::format("'{}' is not NAME:/path (storage:mount APP uploads:/app/uploads)",
                                       text.substr(0, 100)));
  }
  std::string name = text.substr(0, colon), path = text.substr(colon + 1);
  if (auto r = ValidateStorageName(name); !r) return std::unexpected(r.error());
  if (auto r = ValidateStoragePath(path); !r) return std::unexpected(r.error());
  return std::pair{name, path};
}

std::string StorageVolumeName(const std::string& install, const std::string& app, const std::string& name) {
  // (An underscore is in no app's name or storage's name: app a-b's c and
  // app a's b-c are two volumes.)
  return fmt::format("mothership-storage-{}-{}_{}", install, app, name);
}

std::map<std::string, std::string> StorageVolumeLabels(const std::string& install, const std::string& app,
                                                       const std::string& name) {
  return {{"mothership.install", install}, {"mothership.storage.app", app}, {"mothership.storage", name}};
}

std::string StorageAppFilter(const std::string& app) { return "mothership.storage.app=" + app; }

}  // namespace ms
