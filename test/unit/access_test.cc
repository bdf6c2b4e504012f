// Per-app access: owners and members, names nobody can squat, the audit log,
// and what removing a person's last key does. Real Store and Router; no Docker.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "server/commands/catalog.h"
#include "server/commands/router.h"
#include "server/common/public_suffix.h"
#include "server/keys/app_access.h"
#include "server/store/database.h"
#include "test_helpers.h"

using ms_test::Contains;
using ms_test::RunAs;
using ms_test::TestEnv;
using json = nlohmann::json;

namespace {

const ms::Caller kRoot = ms_test::kRoot;
const ms::Caller kAlice{"alice", ms::Role::kDeveloper, "192.0.2.10:50000"};
const ms::Caller kBob{"bob", ms::Role::kDeveloper, "192.0.2.11:50000"};

// root (admin), alice and bob (developers), and alice's app "shop".
struct Team {
  TestEnv env;
  Team() {
    for (const ms::Caller& c : {kRoot, kAlice, kBob}) {
      ms::SshKey key{0, c.key_name, "SHA256:" + c.key_name, "ssh-ed25519 AAAA" + c.key_name, c.role, ""};
      REQUIRE(env.store->AddKey(key));
    }
    auto r = RunAs(env, kAlice, {"apps:create", "shop"});
    INFO(r.err);
    REQUIRE(r.status == ms::kExitOk);
  }
  ms_test::RunResult As(const ms::Caller& c, const std::vector<std::string>& argv) { return RunAs(env, c, argv); }
};

// Arguments that satisfy a command's count; the access check comes before any is read.
std::vector<std::string> Argv(const ms::Command& c, const std::string& app) {
  std::vector<std::string> argv = {std::string(c.name), app};
  while (static_cast<int>(argv.size()) - 1 < c.min_args) argv.push_back("A=1");
  return argv;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

TEST_CASE("catalog: every command that takes an APP is checked for membership", "[access]") {
  for (const ms::Namespace& ns : ms::AllNamespaces()) {
    for (const ms::Command& c : ns.commands) {
      INFO(c.name);
      if (c.name == "apps:create") continue;  // its APP is a new name (CheckNewAppName)
      bool takes_app = c.usage.starts_with("APP");
      bool checked = c.access == ms::Access::kMember || c.access == ms::Access::kOwner;
      CHECK(takes_app == checked);
      if (checked) CHECK(c.min_args >= 1);
    }
  }
}

TEST_CASE("a non-member gets the no-such-app answer from every app command", "[access]") {
  Team t;
  size_t walked = 0;
  for (const ms::Namespace& ns : ms::AllNamespaces()) {
    for (const ms::Command& c : ns.commands) {
      if (c.access != ms::Access::kMember && c.access != ms::Access::kOwner) continue;
      INFO(c.name);
      auto theirs = t.As(kBob, Argv(c, "shop"));
      auto nothing = t.As(kBob, Argv(c, "nope"));
      CHECK(theirs.status == ms::kExitError);
      CHECK(theirs.err == "error: app 'shop' does not exist (see apps:list)\n");
      CHECK(theirs.out.empty());
      CHECK(nothing.status == theirs.status);
      CHECK(Replace(nothing.err, "nope", "shop") == theirs.err);
      ++walked;
    }
  }
  CHECK(walked >= 30);
  auto audit = t.As(kBob, {"audit", "shop"});
  CHECK(audit.err == "error: app 'shop' does not exist (see apps:list)\n");
  // Nothing was changed on the way.
  CHECK(t.env.store->GetConfig("shop").value().empty());
  CHECK(t.env.store->ListMembers("shop").value().size() == 1);
}

TEST_CASE("a member may use every app command except the owner's", "[access]") {
  Team t;
  REQUIRE(t.As(kAlice, {"access:add", "shop", "bob"}).status == ms::kExitOk);
  for (const ms::Namespace& ns : ms::AllNamespaces()) {
    for (const ms::Command& c : ns.commands) {
      if (c.access != ms::Access::kMember && c.access != ms::Access::kOwner) continue;
      if (c.name == "apps:rename") continue;  // would move the app from under the walk
      INFO(c.name);
      auto r = t.As(kBob, Argv(c, "shop"));
      CHECK_FALSE(Contains(r.err, "does not exist"));
      if (c.access == ms::Access::kOwner) {
        CHECK(r.err == "error: only the owner of shop (alice) or an admin may do that; see: access shop\n");
      }
    }
  }
  CHECK(t.As(kBob, {"config:set", "shop", "B=2"}).status == ms::kExitOk);
  CHECK(t.env.store->GetConfig("shop").value().at("B") == "2");
  CHECK(t.As(kBob, {"apps:list"}).out.find("shop") != std::string::npos);
}

TEST_CASE("access lists the owner and members / owners add and remove them", "[access]") {
  Team t;
  auto unknown = t.As(kAlice, {"access:add", "shop", "carol"});
  CHECK(unknown.status == ms::kExitError);
  CHECK(Contains(unknown.err, "no key is named 'carol'"));
  REQUIRE(t.As(kAlice, {"access:add", "shop", "bob"}).status == ms::kExitOk);
  auto again = t.As(kAlice, {"access:add", "shop", "bob"});
  CHECK(again.status == ms::kExitError);
  CHECK(Contains(again.err, "bob is a member of shop already"));

  auto list = json::parse(t.As(kBob, {"access", "shop", "--json"}).out);
  REQUIRE(list.size() == 2);
  CHECK(list[0]["name"] == "alice");
  CHECK(list[0]["role"] == "owner");
  CHECK(list[1]["name"] == "bob");
  CHECK(list[1]["role"] == "member");

  auto owner = t.As(kAlice, {"access:remove", "shop", "alice"});
  CHECK(owner.status == ms::kExitError);
  CHECK(Contains(owner.err, "apps:transfer shop KEYNAME"));
  CHECK(t.As(kBob, {"access:remove", "shop", "bob"}).status == ms::kExitError);  // members cannot
  CHECK(t.As(kAlice, {"access:remove", "shop", "bob"}).status == ms::kExitOk);
  CHECK(t.As(kBob, {"config", "shop"}).err == "error: app 'shop' does not exist (see apps:list)\n");
  CHECK(t.As(kBob, {"apps:list", "--json"}).out == "[]\n");
}

TEST_CASE("apps:transfer hands an app over, the old owner stays a member", "[access]") {
  Team t;
  REQUIRE(t.As(kAlice, {"apps:transfer", "shop", "bob"}).status == ms::kExitOk);
  CHECK(t.env.store->GetApp("shop")->owner == "bob");
  CHECK(t.env.store->RoleIn("shop", "alice").value() == ms::AppRole::kMember);
  auto destroy = t.As(kAlice, {"apps:destroy", "shop", "--confirm", "shop"});
  CHECK(destroy.status == ms::kExitError);
  CHECK(Contains(destroy.err, "only the owner of shop (bob)"));
  CHECK(t.As(kBob, {"apps:destroy", "shop", "--confirm", "shop"}).status == ms::kExitOk);
  CHECK_FALSE(t.env.AppRowExists("shop"));
}

TEST_CASE("a taken name is 'not available' whoever has it / reserved names are listed", "[access]") {
  Team t;
  REQUIRE(t.As(kRoot, {"apps:create", "admins-app"}).status == ms::kExitOk);
  auto shop = t.As(kBob, {"apps:create", "shop"});
  auto other = t.As(kBob, {"apps:create", "admins-app"});
  CHECK(shop.status == ms::kExitError);
  CHECK(shop.err == "error: name 'shop' is not available; choose another\n");
  CHECK(Replace(other.err, "admins-app", "shop") == shop.err);
  CHECK(t.As(kAlice, {"apps:create", "shop"}).err == "error: app 'shop' already exists\n");

  REQUIRE(t.As(kBob, {"apps:create", "mine"}).status == ms::kExitOk);
  auto rename = t.As(kBob, {"apps:rename", "mine", "shop"});
  CHECK(rename.err == shop.err);

  for (std::string name : {"mothership", "api", "www", "registry", "proxy"}) {
    auto r = t.As(kBob, {"apps:create", name});
    INFO(name);
    CHECK(r.status == ms::kExitUsage);
    CHECK(Contains(r.err, "'" + name + "' is reserved for the platform (reserved: mothership, api, www,"));
    CHECK_FALSE(t.env.AppRowExists(name));
  }
  auto names = ms::ReservedAppNames(t.env.settings);
  CHECK(std::find(names.begin(), names.end(), "mothership-registry") != names.end());
  CHECK(std::find(names.begin(), names.end(), t.env.settings.proxy_service) != names.end());
}

TEST_CASE("apps:list shows a developer their apps only, an admin every app", "[access]") {
  Team t;
  REQUIRE(t.As(kBob, {"apps:create", "bobs"}).status == ms::kExitOk);
  auto bob = json::parse(t.As(kBob, {"apps:list", "--json"}).out);
  REQUIRE(bob.size() == 1);
  CHECK(bob[0]["name"] == "bobs");
  CHECK(bob[0]["owner"] == "bob");
  CHECK(json::parse(t.As(kRoot, {"apps:list", "--json"}).out).size() == 2);
}

TEST_CASE("keys:remove of a name's last key: apps to the admin, memberships and sessions end", "[access]") {
  Team t;
  REQUIRE(t.As(kBob, {"apps:create", "bobs"}).status == ms::kExitOk);
  REQUIRE(t.As(kAlice, {"access:add", "shop", "bob"}).status == ms::kExitOk);
  REQUIRE(t.env.store->AddKey({0, "bob", "SHA256:bob2", "ssh-ed25519 AAAAbob2", ms::Role::kDeveloper, ""}));
  auto laptop = t.env.sessions.Open("SHA256:bob");
  auto desktop = t.env.sessions.Open("SHA256:bob2");
  auto alices = t.env.sessions.Open("SHA256:alice");

  // One of two keys: the other keeps the name's access.
  auto one = t.As(kRoot, {"keys:remove", "bob", "SHA256:bob"});
  INFO(one.err);
  CHECK(one.out == "Removed 1 key of 'bob'; 1 open session closed.\n'bob' has other keys and keeps its access.\n");
  CHECK(laptop->revoked);
  CHECK_FALSE(desktop->revoked);
  CHECK(t.env.store->RoleIn("shop", "bob").value() == ms::AppRole::kMember);

  auto last = t.As(kRoot, {"keys:remove", "bob"});
  CHECK(last.out ==
        "Removed 1 key of 'bob'; 1 open session closed.\n'bob' has no key left: its 1 membership ended.\n"
        "Its apps now belong to root: bobs\n");
  CHECK(desktop->revoked);
  CHECK_FALSE(alices->revoked);
  CHECK(t.env.store->GetApp("bobs")->owner == "root");
  CHECK(t.env.store->RoleIn("shop", "bob").value() == ms::AppRole::kNone);
  // A new key of the same name starts with nothing.
  REQUIRE(t.env.store->AddKey({0, "bob", "SHA256:bob3", "ssh-ed25519 AAAAbob3", ms::Role::kDeveloper, ""}));
  CHECK(t.As(kBob, {"apps:list", "--json"}).out == "[]\n");
}

TEST_CASE("audit records each change once with its actor and address, never a config value", "[access]") {
  Team t;
  REQUIRE(t.As(kAlice, {"config:set", "shop", "SECRET=hunter2", "B=2"}).status == ms::kExitOk);
  REQUIRE(t.As(kAlice, {"access:add", "shop", "bob"}).status == ms::kExitOk);
  REQUIRE(t.As(kBob, {"config:unset", "shop", "B"}).status == ms::kExitOk);
  REQUIRE(t.As(kBob, {"domains:add", "shop", "www.shop-example.org"}).status == ms::kExitOk);
  REQUIRE(t.As(kBob, {"checks:set", "shop", "path=/up"}).status == ms::kExitOk);
  REQUIRE(t.As(kRoot, {"apps:create", "other"}).status == ms::kExitOk);
  REQUIRE(t.As(kRoot, {"config:set", "other", "X=1"}).status == ms::kExitOk);
  // Reads are not changes.
  REQUIRE(t.As(kBob, {"config", "shop"}).status == ms::kExitOk);

  auto all = json::parse(t.As(kRoot, {"audit", "--json"}).out);
  std::vector<std::string> seen;
  for (const auto& e : all) {
    seen.push_back(e["actor"].get<std::string>() + " " + e["action"].get<std::string>() + " " +
                   e["app"].get<std::string>() + " " + e["detail"].get<std::string>());
  }
  CHECK(seen == std::vector<std::string>{
                    "root config:set other X",
                    "root apps:create other ",
                    "bob checks:set shop path=/up",
                    "bob domains:add shop www.shop-example.org",
                    "bob config:unset shop B",
                    "alice access:add shop bob",
                    "alice config:set shop SECRET and B",
                    "alice apps:create shop ",
                });
  CHECK(all[2]["address"] == "192.0.2.11:50000");
  CHECK_FALSE(Contains(t.As(kRoot, {"audit"}).out, "hunter2"));

  // bob sees shop's records, not other's; -n limits.
  auto bobs = json::parse(t.As(kBob, {"audit", "--json"}).out);
  CHECK(bobs.size() == 6);
  CHECK(json::parse(t.As(kBob, {"audit", "shop", "-n", "2", "--json"}).out).size() == 2);
  CHECK(t.As(kBob, {"audit", "-n", "0"}).status == ms::kExitUsage);
}

TEST_CASE("domains:add refuses public suffixes, the server's names and another app's host", "[access]") {
  Team t;
  REQUIRE(t.As(kRoot, {"apps:create", "other"}).status == ms::kExitOk);
  const std::string domain = t.env.settings.domain;  // example.test
  auto add = [&](const std::string& host) { return t.As(kAlice, {"domains:add", "shop", host}); };
  // One label ("com", "*.com") is not a domain at all.
  CHECK(add("com").status == ms::kExitUsage);
  CHECK(add("*.com").status == ms::kExitUsage);
  for (std::string host : {"co.uk", "*.co.uk", "github.io", "*.github.io"}) {
    INFO(host);
    auto r = add(host);
    CHECK(r.status == ms::kExitUsage);
    CHECK(Contains(r.err, "public suffix"));
  }
  CHECK(add("shop.co.uk").status == ms::kExitOk);
  CHECK(add("*.shop-example.com").status == ms::kExitOk);
  CHECK(Contains(add(domain).err, "this server's own domain"));
  CHECK(Contains(add("*." + domain).err, "this server's own domain"));
  CHECK(add("other." + domain).err == "error: other." + domain + " is not available\n");
  CHECK(add("www.other." + domain).err == "error: www.other." + domain + " is not available\n");
  CHECK(Contains(add("future." + domain).err, "where a host belongs to the app it names"));
  CHECK(add("www.shop." + domain).status == ms::kExitOk);
  CHECK(Contains(add("shop." + domain).err, "own address already"));

  REQUIRE(t.As(kRoot, {"domains:add", "other", "taken.example.org"}).status == ms::kExitOk);
  CHECK(add("taken.example.org").err == "error: taken.example.org is not available\n");
  CHECK(t.env.store->ListDomains("shop").value() ==
        std::vector<std::string>{"*.shop-example.com", "shop.co.uk", "www.shop." + domain});
}

TEST_CASE("domains:add refuses the platform's host (mothership.DOMAIN, or api_host), saying the API has it",
          "[access]") {
  Team t;
  const std::string domain = t.env.settings.domain;
  auto add = [&](const std::string& host) { return t.As(kAlice, {"domains:add", "shop", host}); };
  auto r = add("Mothership." + domain);
  CHECK(r.status == ms::kExitUsage);
  CHECK(r.err.starts_with("error: mothership." + domain +
                          " is this server's own address: the proxy sends it to Mothership's API (api_host), never "
                          "to an app\n"));
  t.env.settings.api_host = "api.example.org";
  CHECK(Contains(add("api.example.org").err, "Mothership's API"));
  CHECK(add("www.api.example.org").status == ms::kExitOk);  // (only the host itself)
  CHECK(add("mothership." + domain).status != ms::kExitOk);  // (still a name under DOMAIN of no app of shop's)
  CHECK(t.env.store->ListDomains("shop").value() == std::vector<std::string>{"www.api.example.org"});
}

TEST_CASE("PublicSuffixList: rules, wildcards, exceptions and the implicit *", "[access]") {
  auto list = ms::PublicSuffixList::Parse(
      "// comment\n\ncom\nco.uk\n*.ck\n!www.ck\nCOM.AU  trailing words\n");
  CHECK(list.IsPublicSuffix("com"));
  CHECK(list.IsPublicSuffix("co.uk"));
  CHECK(list.IsPublicSuffix("com.au"));
  CHECK(list.IsPublicSuffix("foo.ck"));
  CHECK_FALSE(list.IsPublicSuffix("www.ck"));
  CHECK(list.IsPublicSuffix("localhost"));  // one label
  CHECK_FALSE(list.IsPublicSuffix("example.com"));
  CHECK_FALSE(list.IsPublicSuffix("a.foo.ck"));
  auto system = ms::SystemPublicSuffixList();
  REQUIRE(system);
  CHECK((*system)->size() > 5000);
  CHECK_FALSE(ms::PublicSuffixList::Load("/nonexistent/psl.dat").has_value());
}

TEST_CASE("migration 6: apps made before it belong to the admin who set the server up", "[access]") {
  ms_test::TempDir dir;
  auto path = dir.path() / "old.db";
  {
    auto db = ms::Database::Open(path, 5);
    REQUIRE(db);
    REQUIRE((*db)->SchemaVersion() == 5);
    REQUIRE((*db)->Exec("INSERT INTO ssh_keys (name, fingerprint, public_key, role) VALUES "
                        "('dev', 'SHA256:d', 'k', 'developer'), ('setup', 'SHA256:s', 'k', 'admin'), "
                        "('later', 'SHA256:l', 'k', 'admin');"
                        "INSERT INTO apps (name) VALUES ('old1'), ('old2');"));
  }
  auto store = ms_test::OpenStore(path);
  CHECK(store->GetApp("old1")->owner == "setup");
  CHECK(store->GetApp("old2")->owner == "setup");
  CHECK(store->KeysNamed("dev").value().size() == 1);
  // Names are no longer unique.
  CHECK(store->AddKey({0, "dev", "SHA256:d2", "k2", ms::Role::kDeveloper, ""}).has_value());
}
