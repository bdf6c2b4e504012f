// Any server command from a developer's machine (`mothership config:set K=V`):
// run through the system ssh client, with the app filled in from -a or the
// repository's `mothership` remote, as Heroku's CLI and Dokku's client do.

#include <unistd.h>

#include <cstdio>

#include "cli/cli_commands.h"
#include "cli/target.h"
#include "server/commands/catalog.h"

namespace ms::cli {
namespace {

// Commands whose first argument is the app (their usage starts with APP),
// except apps:create, whose argument is the name of the app to make.
bool TakesApp(std::string_view name) {
  const Command* command = FindCommand(name);
  return command && command->usage.starts_with("APP") && name != "apps:create";
}

}  // namespace

Result<std::vector<std::string>> ServerWords(const CommandLine& line, const std::string& app) {
  std::vector<std::string> words = CanonicalWords(line.words);
  const std::string name = words.at(0);
  if (TakesApp(name) && !app.empty()) {
    // Typed as on the server (`config:set APP K=V`) inside that app's
    // repository: the app is there already.
    bool typed = !line.app && words.size() > 1 && words[1] == app;
    if (!typed) words.insert(words.begin() + 1, app);
  } else if (TakesApp(name) && words.size() == 1) {
    return InvalidArgument(
        "which app? Pass -a APP, or run this in a repository with a 'mothership' remote "
        "(mothership remote:add HOST[:PORT] -a APP)");
  }
  return words;
}

int ServerCommand(const CommandLine& line) {
  const std::string& name = line.words.at(0);
  auto target = FindTarget(line, false);
  if (!target) {
    std::fprintf(stderr, "mothership %s: %s\n", name.c_str(), target.error().message.c_str());
    return 2;
  }
  auto words = ServerWords(line, target->app);
  if (!words) {
    std::fprintf(stderr, "mothership %s: %s\n", name.c_str(), words.error().message.c_str());
    return 2;
  }
  bool tty = name == "run" && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  return ExecOnServer(target->server, *words, tty);
}

}  // namespace ms::cli
