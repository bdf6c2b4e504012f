#pragma once
// Gzip and Gunzip: gzip streams (zlib). Pure; any thread.

#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms {

// An InvalidArgument error when `data` is not gzip or is cut short, or when it
// inflates to more than max_out bytes (a small archive that would fill the disk).
Result<std::string> Gunzip(std::string_view data, size_t max_out);

// `data` compressed at zlib's best level, in gzip framing (static files).
std::string Gzip(std::string_view data);

}  // namespace ms
