// mothership open [APP]: opens the app's web URL in a browser, or prints it
// where there is none to open.

#include <cstdio>
#include <cstdlib>

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

}  // namespace ms::cli
