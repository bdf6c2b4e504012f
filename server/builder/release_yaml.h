#pragma once
// What a buildpack's bin/release prints: YAML with `default_process_types`
// (type -> command, used when the app has no Procfile entry of that type) and
// `config_vars` (defaults the app's own config overrides). Other keys
// (`addons`) are ignored. Buildpack bytes, possibly a tenant's; pure function,
// any thread.

#include <map>
#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms {

struct BuildpackRelease {
  std::map<std::string, std::string> process_types;
  std::map<std::string, std::string> config_vars;
};

// The two maps (each empty when missing or not a map), or an error carrying
// yaml-cpp's message when the text is not YAML or a value is not a scalar.
// Never throws.
Result<BuildpackRelease> ParseReleaseYaml(std::string_view text);

}  // namespace ms
