#pragma once
// Splitting an SSH exec request ("config:set demo 'A=b c'") into argv the way a
// POSIX shell would split words, without ever running a shell: single quotes,
// double quotes (with \" \\ \$ \` escapes) and backslash escapes are honoured;
// nothing is expanded. Quote() is the inverse, used by clients to build such a
// line. Pure functions, any thread.

#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"

namespace ms {

// Fails on an unterminated quote or a trailing backslash.
Result<std::vector<std::string>> SplitShellWords(std::string_view line);

// One argument quoted so that SplitShellWords (and sh) gives it back byte for byte.
std::string QuoteShellWord(std::string_view word);

}  // namespace ms
