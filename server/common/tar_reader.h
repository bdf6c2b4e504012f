#pragma once
// Reading the regular files of a small tar archive (the build's results copied
// out of a builder container). Pure function.

#include <filesystem>
#include <map>
#include <string>

#include "server/common/result.h"

namespace ms {

// Path (as stored, without a leading "./") -> contents, for regular files.
Result<std::map<std::string, std::string>> ReadTarFiles(const std::filesystem::path& tar,
                                                         size_t max_bytes = 16 << 20);

}  // namespace ms
