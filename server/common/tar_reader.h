#pragma once
// Reading the regular files of a small tar archive (the build's results copied
// out of a builder container). Pure functions, any thread.

#include <filesystem>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"

namespace ms {

// Path (as stored, without a leading "./") -> contents, for regular files.
// An error when the file cannot be read or its files hold more than max_bytes.
Result<std::map<std::string, std::string>> ReadTarFiles(const std::filesystem::path& tar,
                                                         size_t max_bytes = 16 << 20);

// The same from a stream; name_for_errors names it in errors. Never throws: an archive
// cut short ends the listing.
Result<std::map<std::string, std::string>> ReadTarFiles(std::istream& in, std::string_view name_for_errors,
                                                         size_t max_bytes = 16 << 20);

// One entry of an archive a tenant sent (a deploy from the API): regular
// files, directories and symbolic links; other kinds are skipped.
struct TarEntry {
  enum Kind { kFile, kDirectory, kSymlink } kind = kFile;
  std::string path;     // as stored, without a leading "./"
  unsigned mode = 0;    // permission bits
  std::string data;     // a file's contents
  std::string target;   // a symbolic link's target
};

// Every entry, in archive order, reading long names from GNU ('L') and pax
// ('x': path, linkpath) headers. An error when the entries hold more than
// max_bytes, or the archive is cut short or malformed. Never throws.
Result<std::vector<TarEntry>> ReadTarEntries(std::string_view archive, size_t max_bytes);

}  // namespace ms
