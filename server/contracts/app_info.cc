#include "server/contracts/app_info.h"

#include <initializer_list>
#include <utility>

#include "server/contracts/json_fields.h"

namespace ms::contracts {

using detail::Json;

std::string ToJson(const AppInfo& info) {
  Json doc = {{"name", info.name},
              {"created_at", info.created_at},
              {"deploy_branch", info.deploy_branch},
              {"git_url", info.git_url},
              {"web_url", info.web_url},
              {"config_vars", info.config_vars}};
  if (!info.owner.empty()) doc["owner"] = info.owner;
  if (const auto& d = info.last_deploy) {
    doc["last_deploy"] = {{"commit", d->commit},
                          {"status", d->status},
                          {"by", d->by},
                          {"started_at", d->started_at},
                          {"finished_at", d->finished_at}};
  }
  return detail::Line(doc);
}

namespace {

// Reads each of `fields` (member name, destination) as a string.
Result<void> ReadStrings(const Json& object, std::string_view where,
                         std::initializer_list<std::pair<std::string_view, std::string*>> fields) {
  for (const auto& [key, out] : fields) {
    auto value = detail::Get<std::string>(object, key, where);
    if (!value) return std::unexpected(value.error());
    *out = std::move(*value);
  }
  return {};
}

}  // namespace

Result<AppInfo> ParseAppInfo(std::string_view text) {
  constexpr std::string_view kWhat = "apps:info --json";
  auto doc = detail::ParseObject(text, kWhat);
  if (!doc) return std::unexpected(doc.error());
  AppInfo info;
  if (auto r = ReadStrings(*doc, kWhat,
                           {{"name", &info.name},
                            {"created_at", &info.created_at},
                            {"deploy_branch", &info.deploy_branch},
                            {"git_url", &info.git_url},
                            {"web_url", &info.web_url}});
      !r) {
    return std::unexpected(r.error());
  }
  if (doc->contains("owner")) {
    auto owner = detail::Get<std::string>(*doc, "owner", kWhat);
    if (!owner) return std::unexpected(owner.error());
    info.owner = std::move(*owner);
  }
  auto config_vars = detail::Get<int64_t>(*doc, "config_vars", kWhat);
  if (!config_vars) return std::unexpected(config_vars.error());
  info.config_vars = *config_vars;
  if (auto it = doc->find("last_deploy"); it != doc->end()) {
    if (!it->is_object()) return detail::WrongType(kWhat, "last_deploy", "an object");
    LastDeploy d;
    if (auto r = ReadStrings(*it, "apps:info --json last_deploy",
                             {{"commit", &d.commit},
                              {"status", &d.status},
                              {"by", &d.by},
                              {"started_at", &d.started_at},
                              {"finished_at", &d.finished_at}});
        !r) {
      return std::unexpected(r.error());
    }
    info.last_deploy = std::move(d);
  }
  return info;
}

}  // namespace ms::contracts
