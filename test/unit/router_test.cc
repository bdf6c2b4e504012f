#include "server/commands/router.h"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "server/apps/app_lifecycle.h"
#include "server/common/shell_words.h"
#include "test_helpers.h"

using ms::Role;
using ms_test::Contains;
using ms_test::GenerateKey;
using ms_test::ListDir;
using ms_test::Run;
using ms_test::TestEnv;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

const Role kDev = Role::kDeveloper;
const Role kAdmin = Role::kAdmin;

// Adds the admin key every real installation has (setup makes one).
void AddRootKey(TestEnv& env) {
  auto gen = GenerateKey();
  auto r = Run(env, {"keys:add", "root", "--role", "admin"}, kAdmin, gen.PublicLine("root@host"));
  INFO(r.err);
  REQUIRE(r.status == ms::kExitOk);
}

size_t KeyCount(TestEnv& env) { return env.store->ListKeys().value().size(); }

json ParseJson(const std::string& text) {
  INFO("output: " << text);
  REQUIRE(!text.empty());
  REQUIRE(text.back() == '\n');
  json j;
  REQUIRE_NOTHROW(j = json::parse(text));
  return j;
}

}  // namespace

TEST_CASE("RunCommand: an unknown command is a usage error", "[router]") {
  TestEnv env;
  auto r = Run(env, {"frobnicate", "x"});
  CHECK(r.status == ms::kExitUsage);
  CHECK(Contains(r.err, "'frobnicate' is not a mothership command"));
  CHECK(Contains(r.err, "help"));
  CHECK(r.out.empty());

  // The echoed name is bounded.
  auto long_name = Run(env, {std::string(500, 'z')});
  CHECK(long_name.status == ms::kExitUsage);
  CHECK(long_name.err.size() < 200);
}

TEST_CASE("RunCommand: no command prints help", "[router]") {
  TestEnv env;
  auto r = Run(env, {});
  CHECK(r.status == ms::kExitOk);
  CHECK(r.out == ms::HelpText());
}

TEST_CASE("RunCommand: missing or extra arguments print the usage", "[router]") {
  TestEnv env;
  REQUIRE_OK(env.store->CreateApp("demo", "root"));

  auto missing = Run(env, {"config:set", "demo"});
  CHECK(missing.status == ms::kExitUsage);
  CHECK(Contains(missing.err, "missing arguments"));
  CHECK(Contains(missing.err, "usage: config:set APP KEY=VALUE..."));

  auto none = Run(env, {"config:set"});
  CHECK(none.status == ms::kExitUsage);
  CHECK(Contains(none.err, "usage: config:set"));

  auto extra = Run(env, {"config:get", "demo", "A", "B"});
  CHECK(extra.status == ms::kExitUsage);
  CHECK(Contains(extra.err, "too many arguments"));
  CHECK(Contains(extra.err, "usage: config:get APP KEY"));

  auto list_extra = Run(env, {"apps:list", "demo"});
  CHECK(list_extra.status == ms::kExitUsage);
  CHECK(Contains(list_extra.err, "usage: apps:list"));

  auto rename_one = Run(env, {"apps:rename", "demo"});
  CHECK(rename_one.status == ms::kExitUsage);
  CHECK(Contains(rename_one.err, "usage: apps:rename APP NEW"));
  CHECK(env.AppRowExists("demo"));
}

TEST_CASE("RunCommand: unknown options are usage errors", "[router]") {
  TestEnv env;
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));

  auto bogus = Run(env, {"apps:list", "--bogus"});
  CHECK(bogus.status == ms::kExitUsage);
  CHECK(Contains(bogus.err, "unknown option '--bogus'"));
  CHECK(Contains(bogus.err, "usage: apps:list"));

  // An option belonging to another command.
  auto other = Run(env, {"apps:info", "demo", "--shell"});
  CHECK(other.status == ms::kExitUsage);

  // A flag given a value, a valued option without one.
  CHECK(Run(env, {"config", "demo", "--shell=yes"}).status == ms::kExitUsage);
  auto no_value = Run(env, {"apps:destroy", "demo", "--confirm"});
  CHECK(no_value.status == ms::kExitUsage);
  CHECK(Contains(no_value.err, "--confirm needs a value"));
  CHECK(env.AppRowExists("demo"));
  CHECK(env.RepoExists("demo"));
}

TEST_CASE("RunCommand: --help and -h print the command's usage", "[router]") {
  TestEnv env;
  for (std::string flag : {"--help", "-h"}) {
    auto r = Run(env, {"config:set", flag});
    CHECK(r.status == ms::kExitOk);
    CHECK(Contains(r.out, "usage: config:set APP KEY=VALUE..."));
    CHECK(Contains(r.out, "Set config vars"));
  }
}

TEST_CASE("RunCommand: developers cannot run admin commands", "[router]") {
  TestEnv env;
  AddRootKey(env);
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));
  auto gen = GenerateKey();

  auto add = Run(env, {"keys:add", "mallory", "--role", "admin"}, kDev, gen.PublicLine());
  CHECK(add.status == ms::kExitError);
  CHECK(Contains(add.err, "keys:add needs an admin key"));
  CHECK(Contains(add.err, "'dev'"));
  CHECK(add.out.empty());
  CHECK(KeyCount(env) == 1);

  auto list = Run(env, {"keys:list"}, kDev);
  CHECK(list.status == ms::kExitError);
  CHECK(list.out.empty());

  auto remove = Run(env, {"keys:remove", "root"}, kDev);
  CHECK(remove.status == ms::kExitError);
  CHECK(KeyCount(env) == 1);

  auto nodes = Run(env, {"nodes"}, kDev);
  CHECK(nodes.status == ms::kExitError);
  CHECK(Contains(nodes.err, "nodes needs an admin key"));

  // Anyone may list their apps and create one.
  CHECK(Run(env, {"apps:list"}, kDev).status == ms::kExitOk);
  CHECK(Run(env, {"apps:create", "mine"}, kDev).status == ms::kExitOk);
}

TEST_CASE("apps:create refuses bad names and creates nothing", "[router]") {
  TestEnv env;
  const std::vector<std::string> bad = {"A",     "x",        "1abc", "-rf",  "..",
                                        "../evil", "a/b",    "/abs", "",     "my app",
                                        "Upper", "a.b",      std::string(31, 'a')};
  for (const auto& name : bad) {
    INFO("name: " << name);
    auto r = Run(env, {"apps:create", name});
    CHECK(r.status == ms::kExitUsage);
    CHECK(Contains(r.err, "not a valid app name"));
    CHECK(Contains(r.err, "usage: apps:create APP"));
  }
  auto option_like = Run(env, {"apps:create", "--rf"});
  CHECK(option_like.status == ms::kExitUsage);

  CHECK(env.store->ListApps().value().empty());
  CHECK(ListDir(env.settings.ReposDir()).empty());
  CHECK_FALSE(fs::exists(env.dir.path() / "evil.git"));
  CHECK_FALSE(fs::exists("/abs.git"));
}

TEST_CASE("apps:create / list / info / rename / destroy", "[router]") {
  TestEnv env;
  auto list_empty = Run(env, {"apps:list"});
  CHECK(list_empty.status == ms::kExitOk);
  CHECK(Contains(list_empty.out, "No apps yet"));

  auto create = Run(env, {"apps:create", "demo"});
  INFO(create.err);
  REQUIRE(create.status == ms::kExitOk);
  CHECK(Contains(create.out, "Created demo."));
  CHECK(Contains(create.out, "git remote add mothership ssh://git@example.test:2222/demo"));
  CHECK(create.err.empty());
  CHECK(env.AppRowExists("demo"));
  CHECK(env.RepoExists("demo"));

  auto dup = Run(env, {"apps:create", "demo"});
  CHECK(dup.status == ms::kExitError);
  CHECK(Contains(dup.err, "already exists"));

  REQUIRE(Run(env, {"apps:create", "another"}).status == ms::kExitOk);
  auto list = Run(env, {"apps:list"});
  CHECK(list.status == ms::kExitOk);
  CHECK(list.out.starts_with("NAME"));
  CHECK(Contains(list.out, "BRANCH"));
  CHECK(Contains(list.out, "LAST DEPLOY"));
  CHECK(list.out.find("another") < list.out.find("demo"));

  auto info = Run(env, {"apps:info", "demo"});
  CHECK(info.status == ms::kExitOk);
  CHECK(Contains(info.out, "=== demo"));
  CHECK(Contains(info.out, "ssh://git@example.test:2222/demo"));
  CHECK(Contains(info.out, "http://demo.example.test"));
  CHECK(Contains(info.out, "never"));

  auto info_missing = Run(env, {"apps:info", "nope"});
  CHECK(info_missing.status == ms::kExitError);
  CHECK(Contains(info_missing.err, "'nope' does not exist"));

  auto rename = Run(env, {"apps:rename", "demo", "renamed"});
  INFO(rename.err);
  REQUIRE(rename.status == ms::kExitOk);
  CHECK(Contains(rename.out, "Renamed demo to renamed."));
  CHECK(Contains(rename.out, "ssh://git@example.test:2222/renamed"));
  CHECK_FALSE(env.AppRowExists("demo"));
  CHECK_FALSE(env.RepoExists("demo"));
  CHECK(env.AppRowExists("renamed"));
  CHECK(env.RepoExists("renamed"));

  CHECK(Run(env, {"apps:rename", "renamed", "Bad"}).status == ms::kExitUsage);
  CHECK(Run(env, {"apps:rename", "renamed", "another"}).status == ms::kExitError);
  CHECK(Run(env, {"apps:rename", "nope", "fresh"}).status == ms::kExitError);

  // Destroy without --confirm (or with the wrong name) refuses and keeps the app.
  auto refuse = Run(env, {"apps:destroy", "renamed"});
  CHECK(refuse.status == ms::kExitError);
  CHECK(Contains(refuse.err, "apps:destroy renamed --confirm renamed"));
  CHECK(env.AppRowExists("renamed"));
  CHECK(env.RepoExists("renamed"));
  auto wrong = Run(env, {"apps:destroy", "renamed", "--confirm", "another"});
  CHECK(wrong.status == ms::kExitError);
  CHECK(env.AppRowExists("renamed"));
  CHECK(env.AppRowExists("another"));

  auto destroy = Run(env, {"apps:destroy", "renamed", "--confirm", "renamed"});
  INFO(destroy.err);
  REQUIRE(destroy.status == ms::kExitOk);
  CHECK(Contains(destroy.out, "Destroyed renamed."));
  CHECK_FALSE(env.AppRowExists("renamed"));
  CHECK_FALSE(env.RepoExists("renamed"));

  // The --confirm=NAME spelling works too.
  auto inline_confirm = Run(env, {"apps:destroy", "another", "--confirm=another"});
  CHECK(inline_confirm.status == ms::kExitOk);
  CHECK(env.store->ListApps().value().empty());
  CHECK(ListDir(env.settings.ReposDir()).empty());

  auto destroy_missing = Run(env, {"apps:destroy", "nope", "--confirm", "nope"});
  CHECK(destroy_missing.status == ms::kExitError);
  CHECK(Contains(destroy_missing.err, "'nope' does not exist"));
}

TEST_CASE("apps commands --json output parses", "[router]") {
  TestEnv env;
  auto empty = ParseJson(Run(env, {"apps:list", "--json"}).out);
  CHECK(empty == json::array());

  auto created = ParseJson(Run(env, {"apps:create", "demo", "--json"}).out);
  CHECK(created["name"] == "demo");
  CHECK(created["git_url"] == "ssh://git@example.test:2222/demo");
  REQUIRE(Run(env, {"apps:create", "--json", "beta"}).status == ms::kExitOk);

  auto list = ParseJson(Run(env, {"apps:list", "--json"}).out);
  REQUIRE(list.is_array());
  REQUIRE(list.size() == 2);
  CHECK(list[0]["name"] == "beta");
  CHECK(list[1]["name"] == "demo");
  CHECK(list[1]["deploy_branch"] == "");
  CHECK(list[1]["created_at"].is_string());

  REQUIRE(Run(env, {"config:set", "demo", "A=1", "B=2"}).status == ms::kExitOk);
  auto info = ParseJson(Run(env, {"apps:info", "demo", "--json"}).out);
  CHECK(info["name"] == "demo");
  CHECK(info["git_url"] == "ssh://git@example.test:2222/demo");
  CHECK(info["web_url"] == "http://demo.example.test/");
  CHECK(info["config_vars"] == 2);
  CHECK_FALSE(info.contains("last_deploy"));

  // With a deploy recorded, info and list show it.
  REQUIRE_OK(env.store->SetDeployBranch("demo", "main"));
  auto id = env.store->StartDeploy(
      ms_test::MakeDeploy("demo", "0123456789abcdef", "refs/heads/main", "alice"));
  REQUIRE_OK(id);
  REQUIRE_OK(env.store->FinishDeploy(*id, true, "ok"));
  auto info2 = ParseJson(Run(env, {"apps:info", "demo", "--json"}).out);
  CHECK(info2["deploy_branch"] == "main");
  REQUIRE(info2.contains("last_deploy"));
  CHECK(info2["last_deploy"]["commit"] == "0123456789abcdef");
  CHECK(info2["last_deploy"]["status"] == "succeeded");
  CHECK(info2["last_deploy"]["by"] == "alice");
  auto text_list = Run(env, {"apps:list"});
  CHECK(Contains(text_list.out, "0123456 succeeded"));
  auto text_info = Run(env, {"apps:info", "demo"});
  CHECK(Contains(text_info.out, "0123456 succeeded by alice"));

  // Errors are not JSON on stdout.
  auto missing = Run(env, {"apps:info", "nope", "--json"});
  CHECK(missing.status == ms::kExitError);
  CHECK(missing.out.empty());
}

TEST_CASE("config:set sets several pairs / all or nothing", "[router]") {
  TestEnv env;
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));

  auto bad_key = Run(env, {"config:set", "demo", "A=1", "1BAD=2", "C=3"});
  CHECK(bad_key.status == ms::kExitUsage);
  CHECK(Contains(bad_key.err, "'1BAD' is not a valid config key"));
  CHECK(env.store->GetConfig("demo").value().empty());

  auto no_eq = Run(env, {"config:set", "demo", "A=1", "JUSTAKEY"});
  CHECK(no_eq.status == ms::kExitUsage);
  CHECK(Contains(no_eq.err, "'JUSTAKEY' is not KEY=VALUE"));
  CHECK(env.store->GetConfig("demo").value().empty());

  auto empty_key = Run(env, {"config:set", "demo", "A=1", "=value"});
  CHECK(empty_key.status == ms::kExitUsage);
  CHECK(env.store->GetConfig("demo").value().empty());

  auto too_big = Run(env, {"config:set", "demo", "A=1", "BIG=" + std::string(64 * 1024 + 1, 'x')});
  CHECK(too_big.status == ms::kExitUsage);
  CHECK(env.store->GetConfig("demo").value().empty());

  auto ok = Run(env, {"config:set", "demo", "A=1", "B=two words", "C="});
  INFO(ok.err);
  REQUIRE(ok.status == ms::kExitOk);
  CHECK(ok.out == "Set A, B and C on demo.\n");
  CHECK(env.store->GetConfig("demo").value() ==
        ms::ConfigVars{{"A", "1"}, {"B", "two words"}, {"C", ""}});

  // The last of repeated keys wins.
  REQUIRE(Run(env, {"config:set", "demo", "A=first", "A=second"}).status == ms::kExitOk);
  CHECK(env.store->GetConfig("demo").value().at("A") == "second");

  auto json_out = ParseJson(Run(env, {"config:set", "demo", "D=4", "--json"}).out);
  CHECK(json_out["set"] == json::array({"D"}));

  auto missing_app = Run(env, {"config:set", "nope", "A=1"});
  CHECK(missing_app.status == ms::kExitError);
  CHECK(Contains(missing_app.err, "'nope' does not exist"));
}

TEST_CASE("config:get prints the value byte for byte followed by a newline", "[router]") {
  TestEnv env;
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));
  const std::vector<std::pair<std::string, std::string>> values = {
      {"SPACES", "  a  b  "},
      {"QUOTES", "it's \"quoted\""},
      {"EQUALS", "a=b==c="},
      {"DOLLAR", "$HOME $(id) `id`"},
      {"NEWLINES", "line1\nline2\n"},
      {"UTF8", "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x9A\x80"},
      {"BACKSLASH", "a\\b\\"},
      {"EMPTY", ""},
  };
  for (const auto& [key, value] : values) {
    INFO("key " << key);
    REQUIRE(Run(env, {"config:set", "demo", key + "=" + value}).status == ms::kExitOk);
    auto got = Run(env, {"config:get", "demo", key});
    CHECK(got.status == ms::kExitOk);
    CHECK(got.out == value + "\n");
    auto as_json = ParseJson(Run(env, {"config:get", "demo", key, "--json"}).out);
    CHECK(as_json[key] == value);
  }

  // The command line as an SSH client sends it, split like the dispatcher does.
  std::string line = "config:set demo " + ms::QuoteShellWord("LINE=it's a $value\nwith=\"all\"");
  auto argv = ms::SplitShellWords(line);
  REQUIRE_OK(argv);
  REQUIRE(Run(env, *argv).status == ms::kExitOk);
  CHECK(Run(env, {"config:get", "demo", "LINE"}).out == "it's a $value\nwith=\"all\"\n");

  auto unset = Run(env, {"config:get", "demo", "NOPE"});
  CHECK(unset.status == ms::kExitError);
  CHECK(Contains(unset.err, "NOPE is not set on demo"));
  CHECK(unset.out.empty());

  CHECK(Run(env, {"config:get", "demo", "bad-key"}).status == ms::kExitUsage);
  CHECK(Run(env, {"config:get", "nope", "A"}).status == ms::kExitError);
}

TEST_CASE("config shows all vars as text / JSON and shell", "[router]") {
  TestEnv env;
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));
  auto empty = Run(env, {"config", "demo"});
  CHECK(empty.status == ms::kExitOk);
  CHECK(Contains(empty.out, "demo has no config vars"));

  const ms::ConfigVars vars = {{"A", "1"},
                               {"LONG_KEY", "it's \"x\" $y"},
                               {"MULTI", "l1\nl2"},
                               {"UTF8", "\xE2\x9C\x93"},
                               {"EMPTY", ""}};
  REQUIRE_OK(env.store->SetConfig("demo", vars));

  auto text = Run(env, {"config", "demo"});
  CHECK(text.status == ms::kExitOk);
  CHECK(Contains(text.out, "=== demo config vars\n"));
  CHECK(Contains(text.out, "A:        1\n"));
  CHECK(Contains(text.out, "LONG_KEY: it's \"x\" $y\n"));

  auto as_json = ParseJson(Run(env, {"config", "demo", "--json"}).out);
  CHECK(as_json.get<std::map<std::string, std::string>>() == vars);

  // --shell prints KEY=value lines a shell (or SplitShellWords) reads back exactly.
  auto shell = Run(env, {"config", "demo", "--shell"});
  CHECK(shell.status == ms::kExitOk);
  auto words = ms::SplitShellWords(shell.out);
  REQUIRE_OK(words);
  ms::ConfigVars back;
  for (const auto& w : *words) {
    auto eq = w.find('=');
    REQUIRE(eq != std::string::npos);
    back[w.substr(0, eq)] = w.substr(eq + 1);
  }
  CHECK(back == vars);
}

TEST_CASE("config:unset removes vars and reports the ones that were not set", "[router]") {
  TestEnv env;
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));
  REQUIRE_OK(env.store->SetConfig("demo", {{"A", "1"}, {"B", "2"}, {"C", "3"}}));

  auto bad = Run(env, {"config:unset", "demo", "A", "bad-key"});
  CHECK(bad.status == ms::kExitUsage);
  CHECK(env.store->GetConfig("demo").value().size() == 3);

  auto r = Run(env, {"config:unset", "demo", "A", "B", "NOPE"});
  CHECK(r.status == ms::kExitOk);
  CHECK(Contains(r.out, "Unset A and B on demo.\n"));
  CHECK(Contains(r.out, "NOPE was not set on demo.\n"));
  CHECK(env.store->GetConfig("demo").value() == ms::ConfigVars{{"C", "3"}});

  auto j = ParseJson(Run(env, {"config:unset", "demo", "C", "X", "--json"}).out);
  CHECK(j["unset"] == json::array({"C"}));
  CHECK(env.store->GetConfig("demo").value().empty());
}

TEST_CASE("keys:add reads a public key from stdin", "[router]") {
  TestEnv env;
  auto gen = GenerateKey();
  auto fp = ms::Fingerprint(gen.key.get());
  REQUIRE_OK(fp);

  auto r = Run(env, {"keys:add", "alice@laptop"}, kAdmin, gen.PublicLine("alice@laptop") + "\n");
  INFO(r.err);
  REQUIRE(r.status == ms::kExitOk);
  CHECK(r.out == "Added developer key 'alice@laptop' (" + *fp + ").\n");
  auto found = env.store->FindKeyByFingerprint(*fp);
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK((*found)->name == "alice@laptop");
  CHECK((*found)->role == Role::kDeveloper);
  CHECK((*found)->public_key == "ssh-ed25519 " + gen.base64);

  auto admin_gen = GenerateKey();
  auto admin = ParseJson(
      Run(env, {"keys:add", "--role=admin", "boss", "--json"}, kAdmin, admin_gen.PublicLine()).out);
  CHECK(admin["name"] == "boss");
  CHECK(admin["role"] == "admin");
  CHECK(admin["fingerprint"] == ms::Fingerprint(admin_gen.key.get()).value());

  // The same key again, or the same name again.
  auto dup_key = Run(env, {"keys:add", "alice2"}, kAdmin, gen.PublicLine());
  CHECK(dup_key.status == ms::kExitError);
  CHECK(Contains(dup_key.err, "already registered as 'alice@laptop'"));
  // The same name again is that person's next key, with the name's role.
  auto second = Run(env, {"keys:add", "alice@laptop"}, kAdmin, GenerateKey().PublicLine());
  CHECK(second.status == ms::kExitOk);
  CHECK(Contains(second.out, "Added developer key 'alice@laptop'"));
  CHECK(Contains(second.out, "2 keys under this name"));
  auto other_role = Run(env, {"keys:add", "alice@laptop", "--role", "admin"}, kAdmin, GenerateKey().PublicLine());
  CHECK(other_role.status == ms::kExitError);
  CHECK(Contains(other_role.err, "'alice@laptop' is a developer"));
  CHECK(KeyCount(env) == 3);

  auto list = Run(env, {"keys:list"});
  CHECK(list.status == ms::kExitOk);
  CHECK(list.out.starts_with("NAME"));
  CHECK(Contains(list.out, "alice@laptop"));
  CHECK(Contains(list.out, *fp));
  auto list_json = ParseJson(Run(env, {"keys:list", "--json"}).out);
  REQUIRE(list_json.size() == 3);
  CHECK(list_json[0]["name"] == "alice@laptop");
  CHECK(list_json[0]["role"] == "developer");
  CHECK(list_json[1]["name"] == "alice@laptop");
  CHECK(list_json[2]["name"] == "boss");
  CHECK(list_json[2]["role"] == "admin");
}

TEST_CASE("keys:add rejects garbage / private keys / bad names and roles", "[router]") {
  TestEnv env;
  auto gen = GenerateKey();

  auto garbage = Run(env, {"keys:add", "alice"}, kAdmin, "this is not a key\n");
  CHECK(garbage.status == ms::kExitUsage);
  CHECK(Contains(garbage.err, "ssh-ed25519 AAAAC3Nza"));
  CHECK(Contains(garbage.err, "Pipe the key in"));

  auto empty = Run(env, {"keys:add", "alice"}, kAdmin, "");
  CHECK(empty.status == ms::kExitUsage);
  CHECK(Contains(empty.err, "no public key given"));

  auto priv = Run(env, {"keys:add", "alice"}, kAdmin, gen.PrivateText());
  CHECK(priv.status == ms::kExitUsage);
  CHECK(Contains(priv.err, "private key"));
  CHECK(Contains(priv.err, "never share"));

  auto bad_name = Run(env, {"keys:add", "bad name!"}, kAdmin, gen.PublicLine());
  CHECK(bad_name.status == ms::kExitUsage);
  CHECK(Contains(bad_name.err, "not a valid key name"));

  auto bad_role = Run(env, {"keys:add", "alice", "--role", "root"}, kAdmin, gen.PublicLine());
  CHECK(bad_role.status == ms::kExitUsage);
  CHECK(Contains(bad_role.err, "'root' is not a role"));

  auto too_big = Run(env, {"keys:add", "alice"}, kAdmin, std::string(20000, 'x'));
  CHECK(too_big.status != ms::kExitOk);

  CHECK(KeyCount(env) == 0);
}

TEST_CASE("keys:remove revokes keys but never the last admin", "[router]") {
  TestEnv env;
  AddRootKey(env);
  REQUIRE(Run(env, {"keys:add", "dev"}, kAdmin, GenerateKey().PublicLine()).status == ms::kExitOk);

  auto last = Run(env, {"keys:remove", "root"});
  CHECK(last.status == ms::kExitError);
  CHECK(Contains(last.err, "'root' is the last admin"));
  CHECK(KeyCount(env) == 2);

  auto dev = Run(env, {"keys:remove", "dev"});
  CHECK(dev.status == ms::kExitOk);
  CHECK(Contains(dev.out, "Removed 1 key of 'dev'; 0 open sessions closed."));
  CHECK(Contains(dev.out, "'dev' has no key left: its 0 memberships ended."));
  CHECK(KeyCount(env) == 1);

  auto missing = Run(env, {"keys:remove", "dev"});
  CHECK(missing.status == ms::kExitError);
  CHECK(Contains(missing.err, "no key named 'dev'"));
}

TEST_CASE("help lists every command from the tables", "[router]") {
  TestEnv env;
  auto r = Run(env, {"help"});
  CHECK(r.status == ms::kExitOk);
  CHECK(r.out == ms::HelpText());
  int commands = 0;
  for (const ms::Namespace& ns : ms::AllNamespaces()) {
    CHECK(Contains(r.out, std::string(ns.name) + ": " + std::string(ns.summary)));
    for (const ms::Command& c : ns.commands) {
      INFO("command " << c.name);
      CHECK(Contains(r.out, std::string(c.name) + " " + std::string(c.usage)));
      CHECK(Contains(r.out, std::string(c.summary)));
      CHECK(ms::FindCommand(c.name) == &c);
      ++commands;
    }
  }
  CHECK(commands >= 13);
  CHECK(ms::FindCommand("nope") == nullptr);
}

TEST_CASE("help NAMESPACE lists that namespace's commands", "[router]") {
  TestEnv env;
  auto r = Run(env, {"help", "config"});
  CHECK(r.status == ms::kExitOk);
  CHECK(r.out.starts_with("config: "));
  REQUIRE(ms::FindNamespace("config"));
  for (const ms::Command& c : ms::FindNamespace("config")->commands) {
    INFO("command " << c.name);
    CHECK(Contains(r.out, std::string(c.name) + " " + std::string(c.usage)));
    CHECK(Contains(r.out, std::string(c.summary)));
  }
  CHECK_FALSE(Contains(r.out, "apps:create"));

  auto keys = Run(env, {"help", "keys"}, kDev);
  CHECK(keys.status == ms::kExitOk);
  CHECK(Contains(keys.out, "keys:add"));
  CHECK(Contains(keys.out, "(admin)"));

  auto command = Run(env, {"help", "apps:create"});
  CHECK(command.status == ms::kExitOk);
  CHECK(Contains(command.out, "usage: apps:create APP"));

  auto unknown = Run(env, {"help", "nonsense"});
  CHECK(unknown.status == ms::kExitUsage);
  CHECK(Contains(unknown.err, "'nonsense' is neither a namespace nor a command"));
}

TEST_CASE("version prints the server version", "[router]") {
  TestEnv env;
  auto text = Run(env, {"version"}, kDev);
  CHECK(text.status == ms::kExitOk);
  CHECK(text.out == std::string("mothership ") + MOTHERSHIP_VERSION + "\n");
  auto j = ParseJson(Run(env, {"version", "--json"}).out);
  CHECK(j["version"] == MOTHERSHIP_VERSION);
}

TEST_CASE("ParseArgs separates positionals / options and flags", "[router]") {
  const ms::Command* destroy = ms::FindCommand("apps:destroy");
  REQUIRE(destroy);
  auto args = ms::ParseArgs(*destroy, {"demo", "--confirm", "demo", "--json"});
  REQUIRE_OK(args);
  CHECK(args->positional == std::vector<std::string>{"demo"});
  CHECK(args->Option("--confirm") == "demo");
  CHECK(args->Has("--json"));
  CHECK(args->Option("--missing", "fallback") == "fallback");

  // After --, everything is positional; single-dash words are positional.
  const ms::Command* set = ms::FindCommand("config:set");
  REQUIRE(set);
  auto rest = ms::ParseArgs(*set, {"demo", "-x", "--", "--json", "--bogus"});
  REQUIRE_OK(rest);
  CHECK(rest->positional == std::vector<std::string>{"demo", "-x", "--json", "--bogus"});
  CHECK_FALSE(rest->Has("--json"));

  CHECK(ms::UsageLine(*set) == "usage: config:set APP KEY=VALUE... [--unset KEY,...]");
  CHECK(ms::UsageLine(*ms::FindCommand("apps:list")) == "usage: apps:list");
}

TEST_CASE("Commands never run the deploy step", "[router]") {
  TestEnv env;
  REQUIRE(Run(env, {"apps:create", "demo"}).status == ms::kExitOk);
  REQUIRE(Run(env, {"config:set", "demo", "A=1"}).status == ms::kExitOk);
  REQUIRE(Run(env, {"apps:rename", "demo", "demo2"}).status == ms::kExitOk);
  CHECK(env.deploy.Calls().empty());
}


TEST_CASE("JSON output of a config value that is not UTF-8 does not fail",
          "[regression][router]") {
  TestEnv env;
  REQUIRE_OK(ms::CreateApp(env.services, "demo", ms_test::kRoot));
  // Accepted: config values may hold any bytes but NUL.
  REQUIRE(Run(env, {"config:set", "demo", "BIN=\xff\xfe"}).status == ms::kExitOk);
  CHECK(Run(env, {"config:get", "demo", "BIN"}).out == "\xff\xfe\n");
  // In JSON the bytes that are not UTF-8 become U+FFFD (the JSON stays valid).
  for (const auto& command : {std::vector<std::string>{"config:get", "demo", "BIN", "--json"},
                              std::vector<std::string>{"config", "demo", "--json"}}) {
    auto r = Run(env, command);
    INFO(command[0] << ": " << r.out << r.err);
    CHECK(r.status == ms::kExitOk);
    CHECK(json::parse(r.out, nullptr, false) == json{{"BIN", "\xEF\xBF\xBD\xEF\xBF\xBD"}});
  }
}
