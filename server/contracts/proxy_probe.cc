#include "server/contracts/proxy_probe.h"

namespace ms::contracts {
namespace {

constexpr std::string_view kPrefix = "/routable/";

}  // namespace

std::string RoutablePath(std::string_view app) { return std::string(kPrefix) + std::string(app); }

std::optional<std::string> ParseRoutablePath(std::string_view target) {
  if (!target.starts_with(kPrefix)) return std::nullopt;
  std::string_view app = target.substr(kPrefix.size());
  if (app.empty() || app.size() > 63) return std::nullopt;
  for (char c : app) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return std::nullopt;
  }
  return std::string(app);
}

}  // namespace ms::contracts
