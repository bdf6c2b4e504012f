// mothership help [COMMAND]: the CLI's own commands, then the server's (asked
// over ssh when a server is known, else from the command table built in).

#include <cstdio>

#include "cli/cli_commands.h"
#include "server/commands/catalog.h"

namespace ms::cli {
namespace {

const char kUsage[] =
    "usage: mothership COMMAND [ARGS...] [-a APP] [-s HOST[:PORT]]\n"
    "\n"
    "On your machine, in an app's git repository:\n"
    "  remote:add HOST[:PORT] [-a APP]   add the git remote 'mothership' (ssh://git@HOST:PORT/APP)\n"
    "  deploy [DIR]                      deploy a directory (no git repository needed)\n"
    "  open [APP]                        open the app in a browser (or print its URL)\n"
    "  dashboard                         sign in to the web dashboard in a browser (or print the link)\n"
    "  help [COMMAND]                    this text, and the server's commands\n"
    "  version                           print this tool's version\n"
    "  SERVER-COMMAND [ARGS...]          any command below, run on the server over ssh; the\n"
    "                                    app comes from the 'mothership' remote, or -a APP\n"
    "  The server: -s HOST[:PORT], else the 'mothership' remote, else $MOTHERSHIP_SERVER.\n"
    "  ssh runs as $MOTHERSHIP_SSH_COMMAND, else $GIT_SSH_COMMAND, else ssh.\n"
    "\n"
    "On the server, the daemon administers itself: 'mothershipd setup' prepares a server,\n"
    "'mothershipd --help' lists the rest.\n"
    "\n";

}  // namespace

int HelpCommand(const CommandLine& line) {
  std::vector<std::string> words(line.words.begin() + (line.words.empty() ? 0 : 1), line.words.end());
  if (words.size() == 1 && words[0] == "--markdown") {
    std::fputs(CommandTableMarkdown().c_str(), stdout);
    return 0;
  }
  if (words.empty()) std::fputs(kUsage, stdout);
  std::fflush(stdout);
  words.insert(words.begin(), "help");
  auto target = FindTarget(line, false);
  if (target) {
    auto help = CaptureOnServer(target->server, words);
    if (help) {
      std::printf("Server commands (%s:%d) (APP: the 'mothership' remote's app, or -a APP):\n\n%s", target->server.host.c_str(),
                  target->server.port, help->c_str());
      return 0;
    }
    std::fputs("(the server did not answer; the commands of this version follow)\n\n", stderr);
  }
  if (words.size() > 1) {
    auto text = HelpText(words[1]);
    if (!text) {
      std::fprintf(stderr, "mothership help: %s\n", text.error().message.c_str());
      return 2;
    }
    std::fputs(text->c_str(), stdout);
    return 0;
  }
  std::printf("Server commands (APP: the 'mothership' remote's app, or -a APP):\n\n%s", HelpText().c_str());
  return 0;
}

}  // namespace ms::cli
