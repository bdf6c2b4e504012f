// The mothership tool's dispatch (cli/cli.cc) and the words it sends to the
// server (cli/server_command.cc), without a server: nothing here starts ssh.

#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "capture_stdio.h"
#include "cli/api_client.h"
#include "cli/cli_commands.h"
#include "server/commands/catalog.h"
#include "test_helpers.h"

using ms::cli::CommandLine;
using ms::cli::RunCli;
using ms::cli::ServerWords;
using ms_test::CaptureStdio;
using ms_test::Contains;

namespace {

// Runs in an empty temporary directory (no git remote) with MOTHERSHIP_SERVER
// unset, so the CLI finds no server.
class NoServerHere {
 public:
  NoServerHere() : old_cwd_(std::filesystem::current_path()) {
    dir_ = std::filesystem::temp_directory_path() / ("ms-cli-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    std::filesystem::current_path(dir_);
    if (const char* server = getenv("MOTHERSHIP_SERVER")) old_server_ = server;
    unsetenv("MOTHERSHIP_SERVER");
  }
  ~NoServerHere() {
    std::filesystem::current_path(old_cwd_);
    std::filesystem::remove_all(dir_);
    if (old_server_) setenv("MOTHERSHIP_SERVER", old_server_->c_str(), 1);
  }

 private:
  std::filesystem::path old_cwd_, dir_;
  std::optional<std::string> old_server_;
};

CommandLine Line(std::vector<std::string> words, std::optional<std::string> app = std::nullopt) {
  CommandLine line;
  line.words = std::move(words);
  line.app = std::move(app);
  return line;
}

}  // namespace

TEST_CASE("cli: setup is mothershipd's now, and the error says so", "[cli]") {
  auto printed = CaptureStdio([] {
    return RunCli({"setup", "--data-dir", "/tmp/x", "--admin-key", "k.pub"});
  });
  CHECK(printed.status == 2);
  CHECK(printed.out.empty());
  CHECK(Contains(printed.err, "mothership setup: "));
  CHECK(Contains(printed.err, "mothershipd setup"));
}

TEST_CASE("cli: the git hook is mothershipd's now", "[cli]") {
  auto printed = CaptureStdio([] { return RunCli({"hook", "pre-receive"}); });
  CHECK(printed.status == 2);
  CHECK(Contains(printed.err, "mothershipd hook"));
}

TEST_CASE("cli: version and --version print the tool's version", "[cli]") {
  for (const char* word : {"version", "--version"}) {
    auto printed = CaptureStdio([&] { return RunCli({word}); });
    CHECK(printed.status == 0);
    CHECK(printed.out == std::string("mothership ") + MOTHERSHIP_VERSION + "\n");
  }
}

TEST_CASE("cli: help --markdown prints the catalog's command reference", "[cli]") {
  auto printed = CaptureStdio([] { return RunCli({"help", "--markdown"}); });
  CHECK(printed.status == 0);
  CHECK(printed.out == ms::CommandTableMarkdown());
}

TEST_CASE("cli: help with no server lists the local and the catalog's commands", "[cli]") {
  NoServerHere here;
  auto printed = CaptureStdio([] { return RunCli({"help"}); });
  CHECK(printed.status == 0);
  CHECK(printed.out.starts_with("usage: mothership COMMAND"));
  CHECK(Contains(printed.out, "remote:add HOST[:PORT]"));
  CHECK(Contains(printed.out, "'mothershipd setup' prepares a server"));
  CHECK_FALSE(Contains(printed.out, "setup --data-dir"));
  CHECK(Contains(printed.out, ms::HelpText()));
  CHECK(printed.err.empty());  // no server known: none asked

  auto one = CaptureStdio([] { return RunCli({"help", "config:set"}); });
  CHECK(one.status == 0);
  CHECK(one.out == *ms::HelpText("config:set"));

  auto unknown = CaptureStdio([] { return RunCli({"help", "nonsense"}); });
  CHECK(unknown.status == 2);
  CHECK(Contains(unknown.err, "'nonsense' is neither a namespace nor a command"));

  // No command at all: the help, as a usage error.
  auto none = CaptureStdio([] { return RunCli({}); });
  CHECK(none.status == 2);
  CHECK(none.out.starts_with("usage: mothership COMMAND"));
}

TEST_CASE("cli: bad global options and servers are usage errors before any ssh", "[cli]") {
  NoServerHere here;
  auto missing = CaptureStdio([] { return RunCli({"ps", "-a"}); });
  CHECK(missing.status == 2);
  CHECK(Contains(missing.err, "-a needs a value (see mothership help)"));

  auto bad = CaptureStdio([] { return RunCli({"ps", "-s", "not a host"}); });
  CHECK(bad.status == 2);
  CHECK(Contains(bad.err, "mothership ps: 'not a host' is not a server"));

  auto nowhere = CaptureStdio([] { return RunCli({"apps:list"}); });
  CHECK(nowhere.status == 2);
  CHECK(Contains(nowhere.err, "no Mothership server here"));

  auto no_app = CaptureStdio([] { return RunCli({"ps", "-s", "paas.test:2200"}); });
  CHECK(no_app.status == 2);
  CHECK(Contains(no_app.err, "mothership ps: which app?"));
}

TEST_CASE("cli: the app goes after the command when its usage starts with APP", "[cli]") {
  auto set = ServerWords(Line({"config:set", "A=1"}), "shop");
  REQUIRE(set);
  CHECK(*set == std::vector<std::string>{"config:set", "shop", "A=1"});

  // Typed as on the server, inside the app's repository: not twice.
  auto typed = ServerWords(Line({"config:set", "shop", "A=1"}), "shop");
  REQUIRE(typed);
  CHECK(*typed == std::vector<std::string>{"config:set", "shop", "A=1"});

  // With -a, the word after the command is an argument even when it is the app's name.
  auto explicit_app = ServerWords(Line({"config:get", "shop"}, "shop"), "shop");
  REQUIRE(explicit_app);
  CHECK(*explicit_app == std::vector<std::string>{"config:get", "shop", "shop"});
}

TEST_CASE("cli: commands without an APP argument are sent as typed", "[cli]") {
  for (std::vector<std::string> words : {std::vector<std::string>{"apps:list"},
                                         {"apps:create", "new"},
                                         {"keys:remove", "dev"},
                                         {"nodes"},
                                         {"no-such-command", "x"}}) {
    INFO("command " << words[0]);
    auto sent = ServerWords(Line(words), "shop");
    REQUIRE(sent);
    CHECK(*sent == words);
  }
}

TEST_CASE("cli: a command that needs an app and has none says how to give one", "[cli]") {
  auto none = ServerWords(Line({"ps"}), "");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ms::ErrorCode::kInvalidArgument);
  CHECK(Contains(none.error().message, "which app? Pass -a APP"));
  // With more words the first is taken as the app, as on the server.
  auto given = ServerWords(Line({"ps", "shop"}), "");
  REQUIRE(given);
  CHECK(*given == std::vector<std::string>{"ps", "shop"});
}

TEST_CASE("cli: certs:add --wildcard is the admin's certs:wildcard:add, with no app added", "[cli]") {
  auto words = ServerWords(Line({"certs:add", "--wildcard"}), "shop");
  REQUIRE(words);
  CHECK(*words == std::vector<std::string>{"certs:wildcard:add"});
  auto own = ServerWords(Line({"certs:add"}), "shop");
  REQUIRE(own);
  CHECK(*own == std::vector<std::string>{"certs:add", "shop"});
}

TEST_CASE("cli api: MOTHERSHIP_TOKEN turns the API on - its URL from MOTHERSHIP_API_URL or the server's host") {
  unsetenv("MOTHERSHIP_TOKEN");
  unsetenv("MOTHERSHIP_API_URL");
  CHECK_FALSE(ms::cli::ApiFromEnv({"paas.example.com", 2222}).has_value());
  setenv("MOTHERSHIP_TOKEN", "mst_x", 1);
  auto api = ms::cli::ApiFromEnv({"paas.example.com", 2222});
  REQUIRE(api.has_value());
  CHECK(api->base == "https://mothership.paas.example.com");
  CHECK(api->token == "mst_x");
  CHECK(ms::cli::ApiFromEnv({"localhost", 2222})->base == "http://127.0.0.1:2280");
  CHECK(ms::cli::ApiFromEnv({"127.0.0.1", 2222})->base == "http://127.0.0.1:2280");
  setenv("MOTHERSHIP_API_URL", "https://api.example.com/", 1);
  CHECK(ms::cli::ApiFromEnv({"paas.example.com", 2222})->base == "https://api.example.com");
  unsetenv("MOTHERSHIP_TOKEN");
  unsetenv("MOTHERSHIP_API_URL");
}
