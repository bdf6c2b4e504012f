// mothership remote:add HOST[:PORT] [-a APP]: points the repository's
// `mothership` git remote at an app on a server (ssh://git@HOST:PORT/APP).

#include <fmt/format.h>

#include <cctype>
#include <cstdio>

#include "cli/cli_commands.h"
#include "cli/target.h"
#include "server/common/names.h"

namespace ms::cli {
namespace {

const char kUsage[] = "usage: mothership remote:add HOST[:PORT] [-a APP]   (APP: the directory's name by default)\n";

// my_App.v2 -> my-app-v2
std::string AppNameFrom(std::string_view dir) {
  std::string name;
  for (char c : dir) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::isalnum(static_cast<unsigned char>(l))) {
      name.push_back(l);
    } else if (!name.empty() && name.back() != '-') {
      name.push_back('-');
    }
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name;
}

}  // namespace

int RemoteAddCommand(const CommandLine& line) {
  if (line.words.size() != 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto server = ParseServer(line.words[1]);
  if (!server) {
    std::fprintf(stderr, "mothership remote:add: %s\n", server.error().message.c_str());
    return 2;
  }
  auto top = CaptureProgram({"git", "rev-parse", "--show-toplevel"}, true);
  if (!top) {
    std::fputs("mothership remote:add: this is not a git repository: run `git init` first (or deploy a plain "
               "directory with `mothership deploy DIR -a APP -s HOST`)\n",
               stderr);
    return 1;
  }
  std::string dir = *top;
  while (!dir.empty() && dir.back() == '\n') dir.pop_back();
  std::string app = line.app ? *line.app : AppNameFrom(dir.substr(dir.rfind('/') + 1));
  if (auto valid = ValidateAppName(app); !valid) {
    std::fprintf(stderr, "mothership remote:add: %s%s\n", valid.error().message.c_str(),
                 line.app ? "" : " (the directory's name; pass -a APP)");
    return 2;
  }
  std::string url = RemoteUrl(*server, app);
  auto old = MothershipRemoteUrl();
  int status = old ? RunProgram({"git", "remote", "set-url", kRemoteName, url})
                   : RunProgram({"git", "remote", "add", kRemoteName, url});
  if (status != 0) return 1;
  if (old && *old != url) {
    std::printf("Changed the git remote '%s' from %s to %s\n", kRemoteName, old->c_str(), url.c_str());
  } else {
    std::printf("%s the git remote '%s': %s\n", old ? "Kept" : "Added", kRemoteName, url.c_str());
  }
  std::printf("Deploy with: git push %s main   (a first push creates the app '%s')\n", kRemoteName,
              app.c_str());
  return 0;
}

}  // namespace ms::cli
