#include "server/common/tar_writer.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace ms {
namespace {

void Octal(char* field, size_t width, uint64_t value) {
  std::string text = fmt::format("{:0{}o}", value, width - 1);
  std::memcpy(field, text.data(), std::min(text.size(), width - 1));
}

}  // namespace

TarWriter::TarWriter(const std::filesystem::path& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "wb");
}

TarWriter::~TarWriter() {
  if (file_) std::fclose(file_);
}

Result<void> TarWriter::Write(const void* data, size_t size) {
  if (digest_) {
    digest_->Update(std::string_view(static_cast<const char*>(data), size));
    written_ += size;
    return {};
  }
  if (!file_) return Failed(fmt::format("cannot write {}", path_.string()));
  if (size > 0 && std::fwrite(data, 1, size, file_) != size) {
    return Failed(fmt::format("cannot write {}: {}", path_.string(), std::strerror(errno)));
  }
  written_ += size;
  return {};
}

Result<void> TarWriter::Pad(uint64_t size) {
  static const char zeros[512] = {};
  size_t rest = size % 512;
  return rest == 0 ? Result<void>{} : Write(zeros, 512 - rest);
}

Result<void> TarWriter::Header(std::string_view path, char type, uint64_t size, int mode,
                               std::string_view link) {
  if (path.size() > 99) {
    // GNU long name: a pseudo-entry "././@LongLink" whose data is the name.
    std::string name(path);
    name.push_back('\0');
    if (auto r = Header("././@LongLink", 'L', name.size(), 0644); !r) return r;
    if (auto r = Write(name.data(), name.size()); !r) return r;
    if (auto r = Pad(name.size()); !r) return r;
    path = path.substr(0, 99);
  }
  if (link.size() > 99) return InvalidArgument(fmt::format("symlink target too long: {}", link));
  char h[512] = {};
  std::memcpy(h, path.data(), path.size());
  Octal(h + 100, 8, static_cast<uint64_t>(mode));
  Octal(h + 108, 8, 0);  // uid
  Octal(h + 116, 8, 0);  // gid
  Octal(h + 124, 12, size);
  Octal(h + 136, 12, 0);  // mtime: fixed, so identical trees give identical archives
  std::memset(h + 148, ' ', 8);
  h[156] = type;
  if (!link.empty()) std::memcpy(h + 157, link.data(), link.size());
  std::memcpy(h + 257, "ustar", 6);
  std::memcpy(h + 263, "00", 2);
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  Octal(h + 148, 7, sum);
  return Write(h, sizeof h);
}

Result<void> TarWriter::AddFile(std::string_view path, std::string_view data, int mode) {
  if (auto r = Header(path, '0', data.size(), mode); !r) return r;
  if (auto r = Write(data.data(), data.size()); !r) return r;
  return Pad(data.size());
}

Result<void> TarWriter::AddDiskFile(std::string_view path, const std::filesystem::path& source, int mode) {
  std::ifstream in(source, std::ios::binary);
  std::error_code ec;
  auto size = std::filesystem::file_size(source, ec);
  if (!in || ec) return Failed(fmt::format("cannot read {}", source.string()));
  if (auto r = Header(path, '0', size, mode); !r) return r;
  std::vector<char> buffer(1 << 16);
  uint64_t left = size;
  while (left > 0) {
    auto n = static_cast<std::streamsize>(std::min<uint64_t>(left, buffer.size()));
    if (!in.read(buffer.data(), n)) return Failed(fmt::format("cannot read {} (changed while read?)", source.string()));
    if (auto r = Write(buffer.data(), static_cast<size_t>(n)); !r) return r;
    left -= static_cast<uint64_t>(n);
  }
  return Pad(size);
}

Result<void> TarWriter::AddDirectory(std::string_view path, int mode) {
  std::string name(path);
  if (name.empty() || name.back() != '/') name.push_back('/');
  return Header(name, '5', 0, mode);
}

Result<void> TarWriter::AddSymlink(std::string_view path, std::string_view target) {
  return Header(path, '2', 0, 0777, target);
}

Result<void> TarWriter::AddTree(const std::filesystem::path& dir, const std::string& prefix) {
  std::error_code ec;
  auto it = std::filesystem::recursive_directory_iterator(dir, ec);
  if (ec) return Failed(fmt::format("cannot read {}: {}", dir.string(), ec.message()));
  for (const auto& entry : it) {
    std::string rel = prefix + entry.path().lexically_relative(dir).string();
    auto status = entry.symlink_status();
    int mode = static_cast<int>(status.permissions()) & 07777;
    if (std::filesystem::is_symlink(status)) {
      if (auto r = AddSymlink(rel, std::filesystem::read_symlink(entry.path()).string()); !r) return r;
    } else if (std::filesystem::is_directory(status)) {
      if (auto r = AddDirectory(rel, mode); !r) return r;
    } else if (std::filesystem::is_regular_file(status)) {
      if (auto r = AddDiskFile(rel, entry.path(), mode); !r) return r;
    }
  }
  return {};
}

Result<void> TarWriter::Finish() {
  static const char zeros[1024] = {};
  if (auto r = Write(zeros, sizeof zeros); !r) return r;
  if (digest_) return {};
  if (!file_ || std::fclose(file_) != 0) {
    const int error = errno;
    file_ = nullptr;
    return Failed(fmt::format("cannot write {}: {}", path_.string(), std::strerror(error)));
  }
  file_ = nullptr;
  return {};
}

}  // namespace ms
