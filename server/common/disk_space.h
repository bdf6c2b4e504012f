#pragma once
// A full disk (issue 16): how much room the filesystem under a path has, and
// what to tell the user when a push, a build or the engine runs out of it.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ms {

// Below this much free space under the data directory a push is refused before
// git writes anything: it needs room for its objects, the build's input and
// the store's records.
inline constexpr uint64_t kPushNeedsFreeMb = 64;

// Free megabytes (for an unprivileged writer) on the filesystem that holds
// path; nullopt when it cannot be read.
std::optional<uint64_t> FreeMb(const std::filesystem::path& path);

// What to tell the user after a failure (error: its message, as git, the
// engine or our code gave it): "" unless the filesystem under path has less
// than kPushNeedsFreeMb free or the error says "no space left on device";
// else a sentence saying the server's disk is full and what to do.
std::string DiskFullAdvice(const std::filesystem::path& path, std::string_view error);

}  // namespace ms
