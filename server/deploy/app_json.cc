#include "server/deploy/app_json.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "server/common/utf8.h"

#include "server/runtime/service_spec.h"

namespace ms {

Result<std::string> ParseAppJsonCheckPath(std::string_view text) {
  if (size_t bad = FirstInvalidUtf8(text); bad != text.size()) {
    return InvalidArgument(fmt::format("app.json is not UTF-8 text (byte {} is not); save it as UTF-8", bad + 1));
  }
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return InvalidArgument("app.json is not valid JSON");
  if (!doc.is_object()) return InvalidArgument("app.json is not a JSON object");
  auto checks = doc.find("healthchecks");
  if (checks == doc.end() || !checks->is_object() || !checks->contains("web")) return "";
  const auto& web = (*checks)["web"];
  if (!web.is_array()) return InvalidArgument("app.json: healthchecks.web must be a list of checks");
  for (const auto& check : web) {
    if (!check.is_object() || !check.contains("path")) continue;
    if (!check["path"].is_string() || !IsCheckPath(check["path"].get<std::string>())) {
      return InvalidArgument("app.json: a healthchecks.web path must be a URL path like /health");
    }
    return check["path"].get<std::string>();
  }
  return "";
}

}  // namespace ms
