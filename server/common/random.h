#pragma once
// Secrets drawn from OpenSSL's random generator (passwords, keys). Any thread.

#include <cstddef>
#include <string>

#include "server/common/result.h"

namespace ms {

// 2 * bytes lower-case hex digits; kFailed when the generator fails.
Result<std::string> RandomHex(size_t bytes);

}  // namespace ms
