#pragma once
// The HTTP API's routes: a table of {method, path pattern, handler}, as the
// command catalog is for ssh. A pattern's "{name}" segment matches one path
// segment (percent-decoded) and becomes a parameter. MatchRoute is pure; the
// handlers (server/api/api_resources.cc) run commands through the Router, so
// the API checks roles, app access and writes the audit log exactly as ssh
// does. Any thread.

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "server/api/api_reply.h"
#include "server/api/live_builds.h"
#include "server/keys/caller.h"
#include "server/services.h"

namespace ms {

struct ApiRequest {
  std::string method;                        // "GET"
  std::string path;                          // "/api/v1/apps/web" (no query)
  std::map<std::string, std::string> query;  // decoded
  std::string body;
  std::string last_event_id{};  // Last-Event-ID: where a Server-Sent Events stream resumes
};

struct ApiCall {
  Services& services;
  const Caller& caller;
  const ApiRequest& request;
  std::map<std::string, std::string> params;  // {"app": "web"}
  std::function<bool()> cancelled;            // the client went away
  LiveBuilds& builds;                         // deploys from the API in progress
  size_t max_archive_bytes = 0;               // a deploy's source, unpacked
};

using ApiHandler = ApiReply (*)(ApiCall&);

struct ApiRoute {
  std::string_view method;
  std::string_view pattern;  // "/api/v1/apps/{app}/config-vars"
  ApiHandler handler;
};

// Every route of /api/v1 (server/api/api_resources.cc).
std::span<const ApiRoute> ApiRoutes();

struct RouteMatch {
  const ApiRoute* route = nullptr;            // null: no route for this method and path
  bool path_known = false;                    // a route has this path with another method (405)
  std::map<std::string, std::string> params;  // of the matched route
};
RouteMatch MatchRoute(std::span<const ApiRoute> routes, std::string_view method, std::string_view path);

// Percent-decoding of a path segment or a query value ('+' is a space only in
// queries); nullopt when an escape is malformed or decodes to a NUL.
std::optional<std::string> PercentDecode(std::string_view text, bool query);
// "a=1&b=x%20y" -> {a: 1, b: "x y"}; malformed pairs are dropped.
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace ms
