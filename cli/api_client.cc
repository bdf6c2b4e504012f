#include "cli/api_client.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace ms::cli {
namespace {

// The daemon's own loopback API port (api_port's default).
constexpr int kLoopbackApiPort = 2280;

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]";
}

// A file holding the Authorization header, readable only by this user,
// removed when it goes out of scope.
class HeaderFile {
 public:
  explicit HeaderFile(const std::string& token) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mothership-auth-XXXXXX").string();
    int fd = mkstemp(tmpl.data());
    if (fd < 0) return;
    fchmod(fd, 0600);
    std::string line = "Authorization: Bearer " + token + "\n";
    ok_ = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    close(fd);
    path_ = tmpl;
  }
  ~HeaderFile() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool ok_ = false;
};

std::vector<std::string> CurlArgs(const ApiTarget& api, const HeaderFile& header, const std::string& method,
                                  const std::string& path) {
  return {"curl", "-sS", "-N", "-X", method, "-H", "@" + header.path(), "-H", "Accept: application/json",
          api.base + path};
}

// {"message": "..."} of an error answer, else the body itself.
std::string ErrorText(const ApiAnswer& answer) {
  auto json = nlohmann::json::parse(answer.body, nullptr, false);
  if (json.is_object() && json.contains("message") && json["message"].is_string()) {
    return json["message"].get<std::string>();
  }
  return answer.body.substr(0, 500);
}

}  // namespace

std::optional<ApiTarget> ApiFromEnv(const Server& server) {
  const char* token = std::getenv("MOTHERSHIP_TOKEN");
  if (!token || !*token) return std::nullopt;
  ApiTarget api;
  api.token = token;
  if (const char* url = std::getenv("MOTHERSHIP_API_URL"); url && *url) {
    api.base = url;
    while (api.base.ends_with('/')) api.base.pop_back();
  } else {
    api.base = IsLoopback(server.host) ? fmt::format("http://127.0.0.1:{}", kLoopbackApiPort)
                                       : fmt::format("https://mothership.{}", server.host);
  }
  return api;
}

Result<ApiAnswer> ApiRequest(const ApiTarget& api, const std::string& method, const std::string& path,
                             const std::string& body_file, const std::string& content_type) {
  HeaderFile header(api.token);
  if (!header.ok()) return Failed("cannot write a temporary file for the token");
  auto argv = CurlArgs(api, header, method, path);
  argv.insert(argv.end(), {"-w", "\n%{http_code}"});
  if (!body_file.empty()) argv.insert(argv.end(), {"--data-binary", "@" + body_file});
  if (!content_type.empty()) argv.insert(argv.end(), {"-H", "Content-Type: " + content_type});
  auto out = CaptureProgram(argv);
  if (!out) return Failed(fmt::format("cannot reach the API at {} (MOTHERSHIP_API_URL sets where it is)", api.base));
  auto nl = out->rfind('\n');
  ApiAnswer answer;
  answer.status = std::atoi(out->c_str() + (nl == std::string::npos ? 0 : nl + 1));
  answer.body = nl == std::string::npos ? "" : out->substr(0, nl);
  return answer;
}

Result<void> ApiFollow(const ApiTarget& api, const std::string& path, const std::function<void(std::string_view)>& out) {
  HeaderFile header(api.token);
  if (!header.ok()) return Failed("cannot write a temporary file for the token");
  auto argv = CurlArgs(api, header, "GET", path);
  argv.push_back("--fail-with-body");
  auto r = CaptureProgram(argv, false, out);
  if (!r) return Failed(fmt::format("the stream from {} ended with an error", api.base));
  return {};
}

int ApiDeploy(const ApiTarget& api, const std::string& app, const std::string& archive_file) {
  std::printf("Deploying to %s through %s\n", app.c_str(), api.base.c_str());
  std::fflush(stdout);
  auto created = ApiRequest(api, "POST", fmt::format("/api/v1/apps/{}/builds", app), archive_file, "application/gzip");
  if (!created) {
    std::fprintf(stderr, "mothership deploy: %s\n", created.error().message.c_str());
    return 1;
  }
  if (created->status != 201) {
    std::fprintf(stderr, "mothership deploy: %s\n", ErrorText(*created).c_str());
    return 1;
  }
  auto build = nlohmann::json::parse(created->body, nullptr, false);
  if (!build.is_object() || !build.contains("id") || !build.contains("output_stream_url")) {
    std::fprintf(stderr, "mothership deploy: the API's answer is not a build: %s\n", created->body.substr(0, 300).c_str());
    return 1;
  }
  auto followed = ApiFollow(api, build["output_stream_url"].get<std::string>(), [](std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  });
  if (!followed) std::fprintf(stderr, "mothership deploy: %s\n", followed.error().message.c_str());
  // How it ended: the build's status in the list.
  auto list = ApiRequest(api, "GET", fmt::format("/api/v1/apps/{}/builds", app));
  if (!list || list->status != 200) {
    std::fprintf(stderr, "mothership deploy: cannot read how build %lld ended\n",
                 static_cast<long long>(build["id"].get<int64_t>()));
    return 1;
  }
  auto builds = nlohmann::json::parse(list->body, nullptr, false);
  if (builds.is_array()) {
    for (const auto& b : builds) {
      if (b.value("id", int64_t{0}) == build["id"].get<int64_t>()) return b.value("status", "") == "succeeded" ? 0 : 1;
    }
  }
  return 1;
}

int ApiLogs(const ApiTarget& api, const std::string& app, const std::vector<std::string>& args) {
  std::string query = "?lines=100";
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-t" || args[i] == "--tail") {
      query += "&tail=1";
    } else if ((args[i] == "-n" || args[i] == "--num") && i + 1 < args.size()) {
      query += "&lines=" + args[++i];
    } else if (args[i] == "--ps" && i + 1 < args.size()) {
      query += "&type=" + args[++i];
    } else {
      std::fprintf(stderr, "mothership logs: unexpected '%s' (usage: logs [-n N] [-t] [--ps TYPE])\n", args[i].c_str());
      return 2;
    }
  }
  // "data: LINE" lines are the log's; comments (heartbeats) and ids are not shown.
  std::string partial;
  bool failed = false;
  auto r = ApiFollow(api, fmt::format("/api/v1/apps/{}/logs{}", app, query), [&](std::string_view text) {
    partial.append(text);
    for (size_t nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n')) {
      std::string line = partial.substr(0, nl);
      partial.erase(0, nl + 1);
      if (line.starts_with("event: error")) failed = true;
      if (line.starts_with("data: ")) {
        std::fprintf(failed ? stderr : stdout, "%s\n", line.c_str() + 6);
        std::fflush(failed ? stderr : stdout);
      }
    }
  });
  if (!r) {
    std::fprintf(stderr, "mothership logs: %s\n", r.error().message.c_str());
    return 1;
  }
  return failed ? 1 : 0;
}

}  // namespace ms::cli
