#include "server/docker/ownership.h"

namespace ms {

std::string ForeignOwner(const Labels& labels, const std::string& install, const std::string& app) {
  auto label = [&](const char* key) {
    auto it = labels.find(key);
    return it == labels.end() ? std::string() : it->second;
  };
  std::string their_install = label("mothership.install");
  if (their_install.empty()) return "something Mothership did not make";
  if (their_install != install) return "another Mothership installation on this Docker engine";
  if (!app.empty() && label("mothership.app") != app) {
    std::string theirs = label("mothership.app");
    return theirs.empty() ? "this installation itself, not an app" : "app " + theirs;
  }
  return "";
}

bool HasLabels(const Labels& have, const Labels& want) {
  for (const auto& [key, value] : want) {
    auto it = have.find(key);
    if (it == have.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace ms
