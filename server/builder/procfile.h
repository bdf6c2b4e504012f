#pragma once
// The Procfile of a pushed app: one "type: command" per line, the way Heroku
// reads it. Tenant bytes; pure function, any thread.

#include <map>
#include <string>

#include "server/common/result.h"

namespace ms {

// Process type -> command. Blank lines and "#" comments are skipped; a line
// that is not "type: command" (types as ValidateProcessType says) or not UTF-8
// is an error naming its line. Never throws.
Result<std::map<std::string, std::string>> ParseProcfile(const std::string& text);

}  // namespace ms
