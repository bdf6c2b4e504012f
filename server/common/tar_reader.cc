#include "server/common/tar_reader.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>

namespace ms {

Result<std::map<std::string, std::string>> ReadTarFiles(const std::filesystem::path& tar,
                                                         size_t max_bytes) {
  std::ifstream in(tar, std::ios::binary);
  if (!in) return Failed(fmt::format("cannot read {}", tar.string()));
  return ReadTarFiles(in, tar.string(), max_bytes);
}

Result<std::map<std::string, std::string>> ReadTarFiles(std::istream& in, std::string_view name_for_errors,
                                                         size_t max_bytes) {
  std::map<std::string, std::string> files;
  std::string long_name;
  size_t total = 0;
  char h[512];
  while (in.read(h, sizeof h)) {
    if (h[0] == '\0') break;
    std::string name(h, strnlen(h, 100));
    std::string prefix(h + 345, strnlen(h + 345, 155));
    if (!prefix.empty()) name = prefix + "/" + name;
    uint64_t size = std::strtoull(std::string(h + 124, 12).c_str(), nullptr, 8);
    char type = h[156];
    // (A size field of "-5" reads as 2^64 - 5: compared, never added first.)
    if (size > max_bytes - total) return Failed(fmt::format("{} is larger than expected", name_for_errors));
    total += size;
    std::string data(size, '\0');
    if (size > 0 && !in.read(data.data(), static_cast<std::streamsize>(size))) break;
    in.ignore(static_cast<std::streamsize>((512 - size % 512) % 512));
    if (type == 'L') {
      long_name = data.c_str();
      continue;
    }
    if (!long_name.empty()) name = long_name, long_name.clear();
    if (name.starts_with("./")) name = name.substr(2);
    if (type == '0' || type == '\0') files[name] = std::move(data);
  }
  return files;
}

namespace {

// pax extended header records: "LEN key=value\n"...
void ReadPax(std::string_view records, std::string& path, std::string& link) {
  while (!records.empty()) {
    size_t space = records.find(' ');
    if (space == std::string_view::npos) return;
    size_t len = std::strtoull(std::string(records.substr(0, space)).c_str(), nullptr, 10);
    if (len <= space + 1 || len > records.size()) return;
    std::string_view record = records.substr(space + 1, len - space - 2);  // without the newline
    size_t eq = record.find('=');
    if (eq != std::string_view::npos) {
      std::string_view key = record.substr(0, eq), value = record.substr(eq + 1);
      if (key == "path") path = value;
      if (key == "linkpath") link = value;
    }
    records.remove_prefix(len);
  }
}

}  // namespace

Result<std::vector<TarEntry>> ReadTarEntries(std::string_view archive, size_t max_bytes) {
  std::vector<TarEntry> entries;
  std::string long_name, long_link;
  size_t total = 0, at = 0;
  while (at + 512 <= archive.size()) {
    const char* h = archive.data() + at;
    at += 512;
    if (h[0] == '\0') return entries;  // the end-of-archive blocks
    std::string name(h, strnlen(h, 100));
    std::string prefix(h + 345, strnlen(h + 345, 155));
    if (!prefix.empty() && std::memcmp(h + 257, "ustar", 5) == 0) name = prefix + "/" + name;
    std::string size_text(h + 124, strnlen(h + 124, 12));
    std::string mode_text(h + 100, strnlen(h + 100, 8));
    char* end = nullptr;
    uint64_t size = std::strtoull(size_text.c_str(), &end, 8);
    if (size_text.empty() || (*end != '\0' && *end != ' ')) {
      return InvalidArgument(fmt::format("the archive is not a tar file (entry '{}' has no size)", name.substr(0, 100)));
    }
    if (size > max_bytes - total) return InvalidArgument(fmt::format("the archive holds more than {} bytes", max_bytes));
    if (size > archive.size() - at) return InvalidArgument("the archive is cut short");
    total += size;
    std::string_view data = archive.substr(at, size);
    at += size + (512 - size % 512) % 512;
    char type = h[156];
    if (type == 'L') {
      long_name = std::string(data.substr(0, data.find('\0')));
      continue;
    }
    if (type == 'K') {
      long_link = std::string(data.substr(0, data.find('\0')));
      continue;
    }
    if (type == 'x') {
      ReadPax(data, long_name, long_link);
      continue;
    }
    if (type == 'g') continue;  // pax global header
    TarEntry e;
    e.path = long_name.empty() ? name : long_name;
    e.target = long_link.empty() ? std::string(h + 157, strnlen(h + 157, 100)) : long_link;
    long_name.clear();
    long_link.clear();
    e.mode = static_cast<unsigned>(std::strtoul(mode_text.c_str(), nullptr, 8)) & 07777;
    while (e.path.starts_with("./")) e.path.erase(0, 2);
    if (type == '0' || type == '\0' || type == '7') {
      e.kind = TarEntry::kFile;
      e.data = std::string(data);
    } else if (type == '5') {
      e.kind = TarEntry::kDirectory;
    } else if (type == '2') {
      e.kind = TarEntry::kSymlink;
    } else {
      continue;  // hard links, devices, fifos: nothing an app's source needs
    }
    entries.push_back(std::move(e));
  }
  if (at != archive.size()) return InvalidArgument("the archive is cut short");
  return entries;
}

}  // namespace ms
