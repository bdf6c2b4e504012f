// routes.json as the proxy reads it: ParseRoutesFile never throws and what it
// accepts round-trips through ToJson; RouteTable::Parse agrees with it, finds
// every app it holds by name and the platform's socket by its host, and Find
// never fails on any Host header.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/routes.h"
#include "server/contracts/routes_file.h"
#include "test/fuzz/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto routes = ms::contracts::ParseRoutesFile(text);
  if (routes) {
    auto back = ms::contracts::ParseRoutesFile(ms::contracts::ToJson(*routes));
    FUZZ_CHECK(back.has_value() && *back == *routes);
  }
  std::string error;
  auto table = ms::proxy::RouteTable::Parse(text, error);
  FUZZ_CHECK(table.has_value() == routes.has_value());
  if (!table) return 0;
  for (const auto& route : table->routes()) FUZZ_CHECK(table->FindApp(route->app) != nullptr);
  (void)table->Find(text);
  if (routes->platform && !ms::proxy::NormalizeHost(routes->platform->host).empty()) {
    const ms::proxy::Route* platform = table->Find(routes->platform->host);
    FUZZ_CHECK(platform != nullptr && platform->socket == routes->platform->socket);
  }
  for (const auto& app : routes->apps) {
    for (const auto& domain : app.domains) (void)table->Find(domain);
  }
  return 0;
}
