// The CLI's reading of its command line, of servers and of git remote URLs
// (cli/target.cc).

#include <catch2/catch.hpp>

#include "cli/target.h"

using ms::cli::ParseCommandLine;
using ms::cli::ParseRemoteUrl;
using ms::cli::ParseServer;
using ms::cli::RemoteUrl;

TEST_CASE("cli: -a and -s are taken anywhere - run keeps its command as it is") {
  auto line = ParseCommandLine({"config:set", "-a", "shop", "A=1", "--server=paas.test:2200"});
  REQUIRE(line);
  CHECK(line->app == "shop");
  CHECK(line->server == "paas.test:2200");
  CHECK(line->words == std::vector<std::string>{"config:set", "A=1"});

  auto run = ParseCommandLine({"run", "--app", "shop", "ls", "-a", "/app"});
  REQUIRE(run);
  CHECK(run->app == "shop");
  CHECK(run->words == std::vector<std::string>{"run", "ls", "-a", "/app"});

  auto dashes = ParseCommandLine({"config:set", "--", "-a", "B=2"});
  REQUIRE(dashes);
  CHECK_FALSE(dashes->app);
  CHECK(dashes->words == std::vector<std::string>{"config:set", "-a", "B=2"});

  CHECK_FALSE(ParseCommandLine({"ps", "-a"}));
}

TEST_CASE("cli: servers are HOST or HOST:PORT") {
  CHECK(ParseServer("paas.test")->port == 2222);
  CHECK(ParseServer("paas.test:22")->port == 22);
  CHECK(ParseServer("git@paas.test:2200")->host == "paas.test");
  CHECK(ParseServer("[::1]:2200")->host == "[::1]");
  CHECK_FALSE(ParseServer("paas.test:0"));
  CHECK_FALSE(ParseServer("paas.test:http"));
  CHECK_FALSE(ParseServer(""));
  CHECK_FALSE(ParseServer("a b"));
}

TEST_CASE("cli: remote URLs give the server and the app") {
  auto ssh = ParseRemoteUrl("ssh://git@paas.test:2200/shop");
  REQUIRE(ssh);
  CHECK(ssh->first.host == "paas.test");
  CHECK(ssh->first.port == 2200);
  CHECK(ssh->second == "shop");
  CHECK(ParseRemoteUrl("ssh://git@paas.test/shop.git")->second == "shop");
  CHECK(ParseRemoteUrl("ssh://git@paas.test/shop.git")->first.port == 22);  // as git
  auto scp = ParseRemoteUrl("git@paas.test:shop");
  REQUIRE(scp);
  CHECK(scp->first.port == 22);
  CHECK(scp->second == "shop");
  CHECK_FALSE(ParseRemoteUrl("https://github.com/x/shop"));
  CHECK_FALSE(ParseRemoteUrl("ssh://git@paas.test/"));
  CHECK(RemoteUrl({"paas.test", 2222}, "shop") == "ssh://git@paas.test:2222/shop");
}
