#pragma once
// app.json, the Heroku manifest a pushed app may carry; of it Mothership reads
// only the web health check:
//   {"healthchecks": {"web": [{"type": "startup", "path": "/health"}]}}
// Tenant bytes; pure function, any thread.

#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms {

// The path of the first healthchecks.web check that has one ("" when there is
// none), or an InvalidArgument naming what is wrong: not UTF-8, not JSON, not an object,
// healthchecks.web not a list, a path that is not a URL path (IsCheckPath).
// Never throws.
Result<std::string> ParseAppJsonCheckPath(std::string_view text);

}  // namespace ms
