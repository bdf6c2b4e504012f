#include "cli/target.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "server/common/numbers.h"
#include "server/common/shell_words.h"

namespace ms::cli {
namespace {

std::vector<char*> Argv(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

int Status(int raw) { return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw); }

std::vector<std::string> SshArgs(const Server& server, const std::vector<std::string>& words, bool tty) {
  std::vector<std::string> argv = SshCommandWords();
  argv.push_back("-p");
  argv.push_back(std::to_string(server.port));
  if (tty) argv.push_back("-t");
  argv.push_back("--");
  argv.push_back("git@" + server.host);
  // ssh joins its arguments with spaces into one line that the server splits
  // again: each word quoted, so it arrives as it is.
  std::string line;
  for (const auto& w : words) line += (line.empty() ? "" : " ") + QuoteShellWord(w);
  argv.push_back(line);
  return argv;
}

}  // namespace

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine line;
  bool verbatim = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (verbatim) {
      line.words.push_back(a);
      continue;
    }
    if (a == "--") {
      line.words.insert(line.words.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    std::optional<std::string>* target = nullptr;
    std::string value;
    if (a == "-a" || a == "--app") {
      target = &line.app;
    } else if (a == "-s" || a == "--server") {
      target = &line.server;
    } else if (a.starts_with("--app=")) {
      line.app = a.substr(6);
      continue;
    } else if (a.starts_with("--server=")) {
      line.server = a.substr(9);
      continue;
    }
    if (target) {
      if (i + 1 >= args.size()) return InvalidArgument(fmt::format("{} needs a value", a));
      *target = args[++i];
      continue;
    }
    // `run APP? CMD...`: after the first positional word, all is the command.
    if (!line.words.empty() && line.words[0] == "run" && !a.starts_with("-")) verbatim = true;
    line.words.push_back(a);
  }
  return line;
}

Result<Server> ParseServer(std::string_view text) {
  Server server;
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with("[")) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return InvalidArgument(fmt::format("'{}': missing ']'", text));
    host = text.substr(0, close + 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return InvalidArgument(fmt::format("'{}': expected :PORT after ']'", text));
      port = text.substr(close + 2);
    }
  } else if (auto colon = text.find(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.starts_with("git@")) host.remove_prefix(4);
  if (host.empty() || host.find_first_of(" /@") != std::string_view::npos) {
    return InvalidArgument(fmt::format("'{}' is not a server: give HOST or HOST:PORT (for example "
                                       "paas.example.com:2222)",
                                       text));
  }
  server.host = std::string(host);
  if (!port.empty()) {
    auto p = ParsePort(std::string(port));
    if (!p || *p == 0) return InvalidArgument(fmt::format("'{}' is not a port number (1-65535)", port));
    server.port = *p;
  }
  return server;
}

std::optional<std::pair<Server, std::string>> ParseRemoteUrl(std::string_view url) {
  std::string_view app;
  Server server;
  if (url.starts_with("ssh://")) {
    url.remove_prefix(6);
    auto slash = url.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::string_view authority = url.substr(0, slash);
    auto parsed = ParseServer(authority);
    if (!parsed) return std::nullopt;
    server = *parsed;
    // No port in the URL: git's ssh uses 22.
    if (authority.ends_with("]") || authority.find(':') == std::string_view::npos) server.port = 22;
    app = url.substr(slash + 1);
  } else {
    auto colon = url.find(':');
    if (colon == std::string_view::npos || url.find("://") != std::string_view::npos) return std::nullopt;
    auto parsed = ParseServer(url.substr(0, colon));
    if (!parsed) return std::nullopt;
    server = *parsed;
    server.port = 22;
    app = url.substr(colon + 1);
  }
  while (app.starts_with("/")) app.remove_prefix(1);
  if (app.ends_with(".git")) app.remove_suffix(4);
  while (app.ends_with("/")) app.remove_suffix(1);
  if (app.empty()) return std::nullopt;
  return std::make_pair(server, std::string(app));
}

std::string RemoteUrl(const Server& server, std::string_view app) {
  return fmt::format("ssh://git@{}:{}/{}", server.host, server.port, app);
}

std::optional<std::string> MothershipRemoteUrl(const std::string& dir) {
  auto url = CaptureProgram({"git", "-C", dir, "config", "--get", fmt::format("remote.{}.url", kRemoteName)}, true);
  if (!url) return std::nullopt;
  std::string text = *url;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return std::nullopt;
  return text;
}

Result<Target> FindTarget(const CommandLine& line, bool need_app) {
  Target target;
  std::optional<std::pair<Server, std::string>> remote;
  if (auto url = MothershipRemoteUrl()) {
    remote = ParseRemoteUrl(*url);
    if (!remote) {
      return InvalidArgument(fmt::format("the git remote '{}' is '{}', not ssh://git@HOST:PORT/APP; fix it with "
                                         "mothership remote:add HOST[:PORT] -a APP",
                                         kRemoteName, *url));
    }
  }
  if (line.server) {
    auto server = ParseServer(*line.server);
    if (!server) return std::unexpected(server.error());
    target.server = *server;
  } else if (remote) {
    target.server = remote->first;
  } else if (const char* env = std::getenv("MOTHERSHIP_SERVER"); env && *env) {
    auto server = ParseServer(env);
    if (!server) return InvalidArgument(fmt::format("MOTHERSHIP_SERVER: {}", server.error().message));
    target.server = *server;
  } else {
    return InvalidArgument(
        "no Mothership server here: run this in a repository with a 'mothership' remote (mothership remote:add "
        "HOST[:PORT] -a APP), or pass -s HOST[:PORT], or set MOTHERSHIP_SERVER");
  }
  if (line.app) {
    target.app = *line.app;
  } else if (remote && (!line.server || remote->first.host == target.server.host)) {
    target.app = remote->second;
  }
  if (need_app && target.app.empty()) {
    return InvalidArgument(
        "which app? Pass -a APP, or run this in a repository with a 'mothership' remote (mothership remote:add "
        "HOST[:PORT] -a APP)");
  }
  return target;
}

std::vector<std::string> SshCommandWords() {
  for (const char* name : {"MOTHERSHIP_SSH_COMMAND", "GIT_SSH_COMMAND"}) {
    if (const char* env = std::getenv(name); env && *env) {
      auto words = SplitShellWords(env);
      if (words && !words->empty()) return *words;
    }
  }
  return {"ssh"};
}

int RunProgram(const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    auto args = Argv(argv);
    execvp(args[0], args.data());
    std::fprintf(stderr, "mothership: cannot run %s: %s\n", argv[0].c_str(), std::strerror(errno));
    _exit(127);
  }
  int raw = 0;
  while (waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  return Status(raw);
}

Result<std::string> CaptureProgram(const std::vector<std::string>& argv, bool quiet,
                                   const std::function<void(std::string_view)>& on_output) {
  int fds[2];
  if (pipe(fds) != 0) return Failed(fmt::format("pipe: {}", std::strerror(errno)));
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Failed(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    if (quiet) {
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, STDERR_FILENO);
    }
    close(fds[0]);
    close(fds[1]);
    auto args = Argv(argv);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
    if (on_output) on_output(std::string_view(buffer, static_cast<size_t>(n)));
  }
  close(fds[0]);
  int raw = 0;
  while (waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  int status = Status(raw);
  if (status != 0) return Failed(fmt::format("{} exited with status {}", argv[0], status));
  return out;
}

int ExecOnServer(const Server& server, const std::vector<std::string>& words, bool tty) {
  auto argv = SshArgs(server, words, tty);
  auto args = Argv(argv);
  std::fflush(stdout);
  execvp(args[0], args.data());
  std::fprintf(stderr, "mothership: cannot run %s: %s\n", argv[0].c_str(), std::strerror(errno));
  return 127;
}

Result<std::string> CaptureOnServer(const Server& server, const std::vector<std::string>& words, bool quiet) {
  return CaptureProgram(SshArgs(server, words, false), quiet);
}

Result<contracts::AppInfo> GetAppInfo(const Target& target, bool quiet) {
  auto text = CaptureOnServer(target.server, {"apps:info", target.app, "--json"}, quiet);
  if (!text) return std::unexpected(text.error());
  return contracts::ParseAppInfo(*text);
}

}  // namespace ms::cli
