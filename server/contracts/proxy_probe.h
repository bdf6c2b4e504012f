#pragma once
// The proxy's readiness probe: the daemon's question to the proxy, over its
// public HTTP port, "does the worker taking new connections now route APP to
// a task?". A deploy says "Released" only once the answer is yes, so the
// app's URL answers from the first request (on an app's first deploy the
// proxy is replaced to join the app's network, and until the new worker takes
// over, the old one cannot reach the app).
//   GET /routable/APP with Host: mothership-probe.invalid
//   200: routed, and the upstream name resolves to at least one task
//   503: routed, but stopped or no task address yet
//   404: no route for APP (and for any other path on the probe host)
// ".invalid" is reserved (RFC 2606): no app's domain can be it.

#include <optional>
#include <string>
#include <string_view>

namespace ms::contracts {

inline constexpr std::string_view kProbeHost = "mothership-probe.invalid";

// "/routable/APP"
std::string RoutablePath(std::string_view app);
// The app a probe's target asks about ("/routable/shop" -> "shop"); nullopt
// for any other target, or a name that is not lowercase letters, digits and
// dashes.
std::optional<std::string> ParseRoutablePath(std::string_view target);

}  // namespace ms::contracts
