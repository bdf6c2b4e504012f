#pragma once
// The rules for names users choose: app names (they become subdomains, service
// and directory names), config var keys and SSH key names. Each check returns an
// error that says what a valid name looks like. Pure functions, any thread.

#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms {

// ^[a-z][a-z0-9-]{1,29}$, not ending with '-' (it becomes a DNS label).
Result<void> ValidateAppName(std::string_view name);

// ^[A-Za-z_][A-Za-z0-9_]*$, at most 256 characters.
Result<void> ValidateConfigKey(std::string_view key);

// Config values: any bytes but NUL, at most 64 KiB.
Result<void> ValidateConfigValue(std::string_view key, std::string_view value);

// A process type: ^[a-z][a-z0-9_]{0,29}$. No '-': the service of type TYPE
// of app APP is APP-TYPE, and app names have '-' but never '_', so no two
// (app, type) pairs name the same service.
Result<void> ValidateProcessType(std::string_view type);

// ^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$
Result<void> ValidateKeyName(std::string_view name);

// A custom domain: DNS labels of letters, digits and '-' (not at either end),
// at least two of them, at most 253 characters; "*." in front makes a wildcard
// for every name below. Returns it in lower case.
Result<std::string> NormalizeDomain(std::string_view host);

}  // namespace ms
