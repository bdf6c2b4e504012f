// mothership open [APP]: opens the app's web URL in a browser, or prints it
// where there is none to open. mothership dashboard: the same with a sign-in
// link to the web dashboard (the server's `dashboard` command).

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "cli/cli_commands.h"
#include "cli/target.h"

namespace ms::cli {

int OpenCommand(const CommandLine& line) {
  CommandLine with_app = line;
  if (line.words.size() == 2) with_app.app = line.words[1];
  if (line.words.size() > 2) {
    std::fputs("usage: mothership open [APP] [-a APP] [-s HOST[:PORT]]\n", stderr);
    return 2;
  }
  auto target = FindTarget(with_app, true);
  if (!target) {
    std::fprintf(stderr, "mothership open: %s\n", target.error().message.c_str());
    return 2;
  }
  auto info = GetAppInfo(*target, false);
  if (!info) {
    std::fprintf(stderr, "mothership open: %s\n", info.error().message.c_str());
    return 1;
  }
  const std::string& url = info->web_url;
  if (url.empty()) {
    std::fprintf(stderr, "mothership open: the server gave no URL for %s\n", target->app.c_str());
    return 1;
  }
  return OpenUrl(url);
}

int OpenUrl(const std::string& url) {
  auto set = [](const char* name) {
    const char* value = std::getenv(name);
    return value && *value;
  };
  const char* browser = std::getenv("BROWSER");
  bool desktop = set("DISPLAY") || set("WAYLAND_DISPLAY");
  if (set("BROWSER")) {
    std::printf("Opening %s\n", url.c_str());
    std::fflush(stdout);
    return RunProgram({browser, url}) == 0 ? 0 : 1;
  }
  if (desktop && RunProgram({"sh", "-c", "command -v xdg-open >/dev/null"}) == 0) {
    std::printf("Opening %s\n", url.c_str());
    std::fflush(stdout);
    return RunProgram({"xdg-open", url}) == 0 ? 0 : 1;
  }
  std::printf("%s\n", url.c_str());
  return 0;
}

int DashboardCommand(const CommandLine& line) {
  if (line.words.size() > 1) {
    std::fputs("usage: mothership dashboard [-s HOST[:PORT]]\n", stderr);
    return 2;
  }
  auto target = FindTarget(line, false);
  if (!target) {
    std::fprintf(stderr, "mothership dashboard: %s\n", target.error().message.c_str());
    return 2;
  }
  auto answer = CaptureOnServer(target->server, {"dashboard", "--json"});
  if (!answer) {
    std::fprintf(stderr, "mothership dashboard: %s\n", answer.error().message.c_str());
    return 1;
  }
  auto json = nlohmann::json::parse(*answer, nullptr, false);
  if (!json.is_object() || !json.contains("url") || !json["url"].is_string()) {
    std::fprintf(stderr, "mothership dashboard: the server's answer is not a sign-in link: %s\n",
                 answer->substr(0, 200).c_str());
    return 1;
  }
  return OpenUrl(json["url"].get<std::string>());
}

}  // namespace ms::cli
