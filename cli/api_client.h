#pragma once
// The HTTP API from the CLI, when MOTHERSHIP_TOKEN holds a token (tokens:create):
// `deploy` uploads the directory as a .tar.gz and follows the build's output,
// `logs -t` follows the log's Server-Sent Events. Requests go through the
// system's curl (as commands go through its ssh); the token is handed to curl
// in a file only this user reads, never on a command line. The API is at
// MOTHERSHIP_API_URL, else https://mothership.HOST for the server HOST, or
// the daemon's loopback port (http://127.0.0.1:2280) when HOST is this machine.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cli/target.h"
#include "server/common/result.h"

namespace ms::cli {

struct ApiTarget {
  std::string base;   // "https://mothership.example.com"
  std::string token;
};
// nullopt when MOTHERSHIP_TOKEN is not set.
std::optional<ApiTarget> ApiFromEnv(const Server& server);

struct ApiAnswer {
  int status = 0;
  std::string body;
};
// METHOD base+path; body_file: a file sent as the body ("" none). An error
// when curl cannot reach the API (its message said on stderr).
Result<ApiAnswer> ApiRequest(const ApiTarget& api, const std::string& method, const std::string& path,
                             const std::string& body_file = "", const std::string& content_type = "");
// GET base+path, its body passed on as it arrives; an error as above.
Result<void> ApiFollow(const ApiTarget& api, const std::string& path, const std::function<void(std::string_view)>& out);

// `mothership deploy DIR` through the API: DIR's files as git would take them
// (its .gitignore applies), a build, its output followed; 0 when it succeeded.
int ApiDeploy(const ApiTarget& api, const std::string& app, const std::string& archive_file);
// `mothership logs [-n N] [-t] [--ps TYPE]` through the API.
int ApiLogs(const ApiTarget& api, const std::string& app, const std::vector<std::string>& args);

}  // namespace ms::cli
