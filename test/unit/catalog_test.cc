// The command catalog (server/commands/catalog.cc) and the Router's binding of
// its entries to handlers (server/commands/router.cc).

#include "server/commands/catalog.h"

#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "server/commands/router.h"
#include "test_helpers.h"

using ms_test::Contains;

TEST_CASE("catalog: every command has a handler in the daemon", "[catalog]") {
  int commands = 0;
  for (const ms::Namespace& ns : ms::AllNamespaces()) {
    for (const ms::Command& c : ns.commands) {
      INFO("command " << c.name);
      CHECK(ms::FindHandler(c.name) != nullptr);
      ++commands;
    }
  }
  CHECK(commands >= 40);
}

TEST_CASE("catalog: every handler is bound to a command of the catalog, once", "[catalog]") {
  std::set<std::string_view> seen;
  auto handlers = ms::AllHandlers();
  for (const ms::HandlerEntry& entry : handlers) {
    INFO("handler " << entry.name);
    CHECK(entry.handler != nullptr);
    CHECK(ms::FindCommand(entry.name) != nullptr);
    CHECK(seen.insert(entry.name).second);
  }
  size_t commands = 0;
  for (const ms::Namespace& ns : ms::AllNamespaces()) commands += ns.commands.size();
  CHECK(handlers.size() == commands);
  CHECK(ms::FindHandler("nope") == nullptr);
}

TEST_CASE("catalog: names are unique and each is found in its namespace", "[catalog]") {
  std::set<std::string_view> names;
  for (const ms::Namespace& ns : ms::AllNamespaces()) {
    INFO("namespace " << ns.name);
    CHECK(ms::FindNamespace(ns.name) == &ns);
    CHECK_FALSE(ns.commands.empty());
    for (const ms::Command& c : ns.commands) {
      INFO("command " << c.name);
      CHECK(names.insert(c.name).second);
      CHECK(ms::FindCommand(c.name) == &c);
      CHECK_FALSE(c.summary.empty());
    }
  }
  CHECK(ms::FindNamespace("nope") == nullptr);
  CHECK(ms::FindCommand("") == nullptr);
}

TEST_CASE("catalog: argument counts and options are well formed", "[catalog]") {
  for (const ms::Namespace& ns : ms::AllNamespaces()) {
    for (const ms::Command& c : ns.commands) {
      INFO("command " << c.name);
      CHECK(c.min_args >= 0);
      CHECK((c.max_args == -1 || c.max_args >= c.min_args));
      CHECK(c.verbatim_after <= c.min_args);
      for (std::string_view option : c.options) {
        CHECK(option.starts_with("--"));
        CHECK(option != "--json");  // always allowed, never listed
      }
      // A command whose first argument is the app says so first in its usage:
      // the CLI fills it in from the 'mothership' remote.
      if (c.usage.starts_with("APP")) CHECK(c.min_args >= 1);
    }
  }
}

TEST_CASE("catalog: help for a namespace, a command and an unknown topic", "[catalog]") {
  auto config = ms::HelpText("config");
  REQUIRE(config);
  CHECK(config->starts_with("config: environment variables of an app\n\n"));
  CHECK(Contains(*config, "config:set APP KEY=VALUE..."));
  CHECK_FALSE(Contains(*config, "apps:create"));

  auto keys = ms::HelpText("keys");
  REQUIRE(keys);
  CHECK(Contains(*keys, "its apps go to you (admin)"));

  auto set = ms::HelpText("config:set");
  REQUIRE(set);
  CHECK(*set == "usage: config:set APP KEY=VALUE... [--unset KEY,...]\n\nSet config vars (and unset others in the same release)\n");

  auto unknown = ms::HelpText(std::string(100, 'x'));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ms::ErrorCode::kInvalidArgument);
  CHECK(Contains(unknown.error().message, "is neither a namespace nor a command"));
  CHECK(unknown.error().message.size() < 120);  // the topic is cut short
}

TEST_CASE("catalog: the Markdown reference has one row per command, pipes escaped", "[catalog]") {
  std::string markdown = ms::CommandTableMarkdown();
  CHECK(markdown.starts_with("| command | what it does | who |\n| --- | --- | --- |\n"));
  size_t rows = 0;
  for (char c : markdown) rows += c == '\n';
  size_t commands = 0;
  for (const ms::Namespace& ns : ms::AllNamespaces()) commands += ns.commands.size();
  CHECK(rows == commands + 2);
  CHECK(Contains(markdown, "| `checks:set APP path=/PATH\\|tcp` |"));
  CHECK(Contains(markdown, "| `apps:list` | List your apps (admins: every app) | anyone |\n"));
  CHECK(Contains(markdown, "| `access:add APP KEYNAME` | Let a key name use the app | owner |\n"));
  CHECK(Contains(markdown, "| `config APP [--shell]` | Show an app's config vars | member |\n"));
  CHECK(Contains(markdown, "| `keys:list` | List the allowed keys | admin |\n"));
}

TEST_CASE("catalog: the usage line of commands with and without arguments", "[catalog]") {
  CHECK(ms::UsageLine(*ms::FindCommand("apps:destroy")) == "usage: apps:destroy APP --confirm APP [--destroy-addons] [--destroy-storage]");
  CHECK(ms::UsageLine(*ms::FindCommand("version")) == "usage: version");
  CHECK(ms::FindCommand("run")->verbatim_after == 2);
}

TEST_CASE("catalog: Heroku's --wildcard spellings name the certs:wildcard commands", "[catalog]") {
  using Words = std::vector<std::string>;
  CHECK(ms::CanonicalWords(Words{"certs:add", "--wildcard"}) == Words{"certs:wildcard:add"});
  CHECK(ms::CanonicalWords(Words{"certs:remove", "--wildcard", "--json"}) == Words{"certs:wildcard:remove", "--json"});
  CHECK(ms::CanonicalWords(Words{"certs", "--wildcard"}) == Words{"certs:wildcard"});
  // Other commands and words are left as typed, --wildcard included (an unknown option there).
  CHECK(ms::CanonicalWords(Words{"certs:add", "shop"}) == Words{"certs:add", "shop"});
  CHECK(ms::CanonicalWords(Words{"config:set", "shop", "--wildcard"}) == Words{"config:set", "shop", "--wildcard"});
  CHECK(ms::CanonicalWords(Words{}).empty());
}
