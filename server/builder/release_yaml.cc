#include "server/builder/release_yaml.h"

#include <yaml-cpp/yaml.h>

namespace ms {
namespace {

void ReadStringMap(const YAML::Node& node, std::map<std::string, std::string>& out) {
  if (!node || !node.IsMap()) return;
  for (const auto& entry : node) out[entry.first.as<std::string>()] = entry.second.as<std::string>();
}

}  // namespace

Result<BuildpackRelease> ParseReleaseYaml(std::string_view text) {
  BuildpackRelease release;
  try {
    YAML::Node doc = YAML::Load(std::string(text));
    ReadStringMap(doc["default_process_types"], release.process_types);
    ReadStringMap(doc["config_vars"], release.config_vars);
  } catch (const YAML::Exception& e) {
    return Failed(e.what());
  }
  return release;
}

}  // namespace ms
