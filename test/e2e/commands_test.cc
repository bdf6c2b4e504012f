// Commands over SSH: output, usage errors, and input that must change nothing.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "server/common/shell_words.h"
#include "server/contracts/app_info.h"
#include "test/support/test_server.h"

using ms::QuoteShellWord;
using ms::test::TestServer;

TEST_CASE("apps: create / list / info / rename / destroy") {
  TestServer s;
  auto created = s.Ssh("apps:create web-1");
  REQUIRE(created.exit_code == 0);
  CHECK(created.out.find("git remote add mothership") != std::string::npos);
  auto again = s.Ssh("apps:create web-1");
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("already exists") != std::string::npos);

  auto json = nlohmann::json::parse(s.Ssh("apps:list --json").out);
  REQUIRE(json.size() == 1);
  CHECK(json[0]["name"] == "web-1");

  auto info = ms::contracts::ParseAppInfo(s.Ssh("apps:info web-1 --json").out);
  REQUIRE(info);
  CHECK(info->web_url == "http://web-1.localhost/");
  CHECK_FALSE(info->last_deploy);

  REQUIRE(s.Ssh("config:set web-1 KEEP=me").exit_code == 0);
  auto renamed = s.Ssh("apps:rename web-1 web-2");
  REQUIRE(renamed.exit_code == 0);
  CHECK(renamed.out.find("git remote set-url") != std::string::npos);
  CHECK(s.Ssh("config:get web-2 KEEP").out == "me\n");
  CHECK(std::filesystem::exists(s.data_dir() / "repos" / "web-2.git"));
  CHECK(!std::filesystem::exists(s.data_dir() / "repos" / "web-1.git"));

  auto unconfirmed = s.Ssh("apps:destroy web-2");
  CHECK(unconfirmed.exit_code == 1);
  CHECK(unconfirmed.err.find("--confirm web-2") != std::string::npos);
  CHECK(s.Ssh("apps:destroy web-2 --confirm web-1").exit_code == 1);
  CHECK(s.Ssh("apps:list --json").out.find("web-2") != std::string::npos);
  REQUIRE(s.Ssh("apps:destroy web-2 --confirm web-2").exit_code == 0);
  CHECK(s.Ssh("apps:list --json").out == "[]\n");
  CHECK(std::filesystem::is_empty(s.data_dir() / "repos"));
}

TEST_CASE("bad app names are refused before anything is created") {
  TestServer s;
  for (std::string name : {"..", "../x", "a/b", "/abs/path", "Upper", "1abc", "-x", "a",
                           "abcdefghijklmnopqrstuvwxyz12345", "a_b", "a.b", "a b"}) {
    auto r = s.Ssh("apps:create " + QuoteShellWord(name));
    INFO(name << ": " << r.Both());
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("not a valid app name") != std::string::npos);
    CHECK(r.err.find("usage: apps:create APP") != std::string::npos);
  }
  auto rename_bad = s.Ssh("apps:create good && true");
  CHECK(rename_bad.exit_code == 2);  // "&&" is just an argument: no shell ever runs
  REQUIRE(s.Ssh("apps:create good").exit_code == 0);
  CHECK(s.Ssh("apps:rename good ../evil").exit_code == 2);
  CHECK(s.Ssh("apps:list --json").out == "[{\"created_at\":" + nlohmann::json::parse(s.Ssh("apps:list --json").out)[0]["created_at"].dump() + ",\"deploy_branch\":\"\",\"name\":\"good\",\"owner\":\"admin\",\"web_url\":\"http://good.localhost/\"}]\n");
  std::vector<std::string> repos;
  for (const auto& e : std::filesystem::directory_iterator(s.data_dir() / "repos")) {
    repos.push_back(e.path().filename().string());
  }
  CHECK(repos == std::vector<std::string>{"good.git"});
}

TEST_CASE("unknown commands and wrong arguments print usage and fail") {
  TestServer s;
  auto unknown = s.Ssh("apps:frobnicate");
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("not a mothership command") != std::string::npos);
  CHECK(unknown.err.find("help") != std::string::npos);
  auto missing = s.Ssh("config:set");
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("usage: config:set APP KEY=VALUE...") != std::string::npos);
  auto extra = s.Ssh("apps:list extra");
  CHECK(extra.exit_code == 2);
  CHECK(extra.err.find("usage: apps:list") != std::string::npos);
  auto option = s.Ssh("apps:list --bogus");
  CHECK(option.exit_code == 2);
  auto quote = s.Ssh("apps:create 'unterminated");
  CHECK(quote.exit_code == 2);
  auto help = s.Ssh("help");
  CHECK(help.exit_code == 0);
  for (const char* cmd : {"apps:list", "apps:create", "apps:info", "apps:rename", "apps:destroy",
                          "keys:add", "keys:list", "keys:remove", "config:get", "config:set",
                          "config:unset", "version"}) {
    CHECK(help.out.find(cmd) != std::string::npos);
  }
  CHECK(s.Ssh("help config").out.find("config:unset") != std::string::npos);
  CHECK(s.Ssh("help nothing").exit_code == 2);
}

TEST_CASE("config values come back byte for byte - bad keys change nothing") {
  TestServer s;
  REQUIRE(s.Ssh("apps:create conf").exit_code == 0);
  const std::vector<std::string> values = {
      "two words", "it's \"quoted\"", "a=b=c", "$HOME and ${PATH} `id` $(id)", "line one\nline two\n",
      "ünïcødé ✓ 日本", "", "  leading and trailing  ", "back\\slash", ";|&<>*?~#"};
  for (size_t i = 0; i < values.size(); ++i) {
    std::string key = "VAR_" + std::to_string(i);
    auto set = s.Ssh("config:set conf " + QuoteShellWord(key + "=" + values[i]));
    INFO(values[i] << set.Both());
    REQUIRE(set.exit_code == 0);
    auto get = s.Ssh("config:get conf " + key);
    CHECK(get.out == values[i] + "\n");
    auto json = nlohmann::json::parse(s.Ssh("config:get conf " + key + " --json").out);
    CHECK(json[key] == values[i]);
  }
  auto all = nlohmann::json::parse(s.Ssh("config conf --json").out);
  CHECK(all.size() == values.size());

  for (std::string bad : {"1ABC=x", "A-B=x", "=x", "A B=x", "NOEQUALS"}) {
    auto r = s.Ssh("config:set conf GOOD=1 " + QuoteShellWord(bad));
    INFO(bad << r.Both());
    CHECK(r.exit_code == 2);
  }
  CHECK(s.Ssh("config:get conf GOOD").exit_code == 1);  // all or nothing
  auto unset = s.Ssh("config:unset conf VAR_0 NEVER_SET");
  CHECK(unset.exit_code == 0);
  CHECK(unset.out.find("NEVER_SET was not set") != std::string::npos);
  CHECK(s.Ssh("config:get conf VAR_0").exit_code == 1);
  CHECK(s.Ssh("config:set nosuch A=1").exit_code == 1);
}

TEST_CASE("keys: add / list / remove with clear errors") {
  TestServer s;
  auto k = s.NewKey("laptop");
  auto pub = ms::test::ReadFile(k.string() + ".pub");
  auto add = s.Ssh("keys:add alice@laptop --role admin", pub);
  INFO(add.Both());
  REQUIRE(add.exit_code == 0);
  CHECK(add.out.find("SHA256:") != std::string::npos);
  CHECK(s.Ssh("keys:add again", pub).err.find("already registered as 'alice@laptop'") != std::string::npos);
  CHECK(s.Ssh("keys:add garbage", "not a key").exit_code == 2);
  CHECK(s.Ssh("keys:add private", ms::test::ReadFile(k)).err.find("private key") != std::string::npos);
  CHECK(s.Ssh("keys:add 'bad name'", pub).exit_code == 2);
  CHECK(s.Ssh("keys:add x --role root", pub).exit_code == 2);
  auto list = nlohmann::json::parse(s.Ssh("keys:list --json").out);
  REQUIRE(list.size() == 2);
  CHECK(s.SshAs(k, "keys:list").exit_code == 0);  // the new admin works
  CHECK(s.Ssh("keys:remove nobody").exit_code == 1);
}
