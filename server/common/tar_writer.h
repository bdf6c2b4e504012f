#pragma once
// TarWriter: writes a POSIX tar archive (ustar, with GNU long-name records for
// paths over 100 bytes) to a file: the format the Docker Engine takes for build
// contexts and container archives. One writer per thread.

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "server/common/result.h"
#include "server/common/sha256.h"

namespace ms {

class TarWriter {
 public:
  // Fails (on the first Add) when the file cannot be created.
  explicit TarWriter(const std::filesystem::path& path);
  // Writes no file: the archive's bytes only feed `digest` (an archive's
  // content address without writing it).
  explicit TarWriter(Sha256& digest) : digest_(&digest) {}
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  Result<void> AddFile(std::string_view path, std::string_view data, int mode = 0644);
  // A file on disk, streamed (binaries of a hundred megabytes under ASan).
  Result<void> AddDiskFile(std::string_view path, const std::filesystem::path& source, int mode = 0644);
  Result<void> AddDirectory(std::string_view path, int mode = 0755);
  Result<void> AddSymlink(std::string_view path, std::string_view target);
  // Adds the contents of a directory on disk under `prefix` (files, dirs, symlinks).
  Result<void> AddTree(const std::filesystem::path& dir, const std::string& prefix);
  // Writes the end-of-archive blocks and closes the file.
  Result<void> Finish();

  uint64_t bytes_written() const { return written_; }

 private:
  Result<void> Header(std::string_view path, char type, uint64_t size, int mode,
                      std::string_view link = {});
  Result<void> Write(const void* data, size_t size);
  Result<void> Pad(uint64_t size);

  std::FILE* file_ = nullptr;
  Sha256* digest_ = nullptr;
  std::filesystem::path path_;
  uint64_t written_ = 0;
};

}  // namespace ms
