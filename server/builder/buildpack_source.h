#pragma once
// Where a buildpack may come from, for every way one is named (buildpacks:*,
// BUILDPACK_URL, .buildpacks): a bundled one by name ("nodejs",
// "heroku/nodejs"); a git repository at an https:// URL whose host is not this
// machine (no loopback or link-local address, such as the cloud metadata
// service); or a local git repository (a path or file://) under one of the
// directories an admin lists in local_buildpacks. Anything else would let a
// tenant copy files of the server, or reach its private services, into a
// build. Tenant text; pure functions but the DNS lookups of
// ResolvesToThisHost and CheckBuildpackHost; any thread.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"

namespace ms {

enum class BuildpackKind { kBundled, kRemote, kLocal };

struct BuildpackSource {
  BuildpackKind kind = BuildpackKind::kBundled;
  std::string name;                // kBundled: "nodejs"
  std::string url;                 // kRemote: the https URL without #ref
  std::filesystem::path path;      // kLocal: the repository, symlinks resolved
  std::string ref;                 // after '#': a branch, tag or commit ("" for the default branch)
};

// What spec names, or an InvalidArgument that says what is allowed.
// bundled: the names of the bundled buildpacks.
Result<BuildpackSource> ParseBuildpackSource(std::string_view spec, const std::vector<std::string>& bundled,
                                             const std::vector<std::string>& local_dirs);

// True when the host is, or resolves to, a loopback, link-local or
// unspecified address (a DNS lookup for names).
bool ResolvesToThisHost(const std::string& host);

// Before a fetch: a kRemote source whose host resolves to this machine is
// refused (its services and the cloud metadata address are not for builds).
Result<void> CheckBuildpackHost(const BuildpackSource& source);

// The host of an https URL ("" when there is none).
std::string UrlHost(std::string_view url);

}  // namespace ms
