#pragma once
// Reading the regular files of a small tar archive (the build's results copied
// out of a builder container). Pure functions, any thread.

#include <filesystem>
#include <istream>
#include <map>
#include <string>
#include <string_view>

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

}  // namespace ms
