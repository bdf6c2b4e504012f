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

}  // namespace ms
