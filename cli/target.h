#pragma once
// Where a CLI command goes, as Heroku's CLI and Dokku's client find it: the
// server and the app come from -a/--app and -s/--server when given, else from
// the `mothership` git remote of the repository the command runs in
// (ssh://git@HOST:PORT/APP, written by `mothership remote:add`), else from
// MOTHERSHIP_SERVER for the server. Commands reach the server through the
// system ssh client: MOTHERSHIP_SSH_COMMAND, else GIT_SSH_COMMAND, else `ssh`.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/common/result.h"
#include "server/contracts/app_info.h"

namespace ms::cli {

constexpr int kDefaultSshPort = 2222;
constexpr const char kRemoteName[] = "mothership";

struct Server {
  std::string host;
  int port = kDefaultSshPort;
};

// The global options, taken out of a command line.
struct CommandLine {
  std::optional<std::string> app;     // -a APP, --app APP, --app=APP
  std::optional<std::string> server;  // -s HOST[:PORT], --server ...
  std::vector<std::string> words;     // the rest: COMMAND ARGS...
};
// Global options are taken anywhere before a `--`, except for `run`, whose
// command (from its first positional word on) is left as it is.
Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// "HOST", "HOST:PORT", "[IPV6]:PORT".
Result<Server> ParseServer(std::string_view text);
// The server and app of a remote URL: ssh://[git@]HOST[:PORT]/APP or
// [git@]HOST:APP (scp form, port 22).
std::optional<std::pair<Server, std::string>> ParseRemoteUrl(std::string_view url);
// ssh://git@HOST:PORT/APP
std::string RemoteUrl(const Server& server, std::string_view app);

struct Target {
  Server server;
  std::string app;  // empty when none was found and none was needed
};
// need_app: fail with what to do when no app is found.
Result<Target> FindTarget(const CommandLine& line, bool need_app);

// The `mothership` remote's URL in the repository around `dir`, if any.
std::optional<std::string> MothershipRemoteUrl(const std::string& dir = ".");

// The ssh client command, split into words.
std::vector<std::string> SshCommandWords();

// Runs argv (no shell) with stdio inherited; the exit status (128+N for signal
// N, 127 when it cannot start).
int RunProgram(const std::vector<std::string>& argv);
// Runs argv and returns its stdout, or an error with its status. quiet:
// its stderr is dropped, else it goes to ours. on_output: also gets the
// output as it comes (a followed stream).
Result<std::string> CaptureProgram(const std::vector<std::string>& argv, bool quiet = false,
                                   const std::function<void(std::string_view)>& on_output = nullptr);
// Replaces this process with ssh running `words` on the server. tty: ask for
// a terminal (-t). Returns only when ssh cannot start.
int ExecOnServer(const Server& server, const std::vector<std::string>& words, bool tty);
// Runs `words` on the server and returns their stdout.
Result<std::string> CaptureOnServer(const Server& server, const std::vector<std::string>& words, bool quiet = false);
// The app's `apps:info APP --json`. An error when ssh fails (the server's
// message printed by ssh, or dropped when quiet) or when the answer is not
// an app's info (the error says why).
Result<contracts::AppInfo> GetAppInfo(const Target& target, bool quiet);

}  // namespace ms::cli
