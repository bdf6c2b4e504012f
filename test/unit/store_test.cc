#include "server/store/store.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

#include "server/store/database.h"
#include "test_helpers.h"

using ms_test::Contains;
using ms_test::TempDir;
namespace fs = std::filesystem;

namespace {

// Runs one query on the database file with a separate raw connection and returns the
// first column of the first row as text.
std::string QueryFile(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string out;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0)) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

void ExecFile(const fs::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  INFO(message);
  REQUIRE(rc == SQLITE_OK);
}

ms::SshKey MakeKey(const std::string& name, const std::string& fingerprint,
                   ms::Role role = ms::Role::kDeveloper) {
  ms::SshKey k;
  k.name = name;
  k.fingerprint = fingerprint;
  k.public_key = "ssh-ed25519 AAAA" + name;
  k.role = role;
  return k;
}

std::vector<std::string> AppNames(ms::Store& store) {
  auto apps = store.ListApps();
  REQUIRE_OK(apps);
  std::vector<std::string> names;
  for (const auto& a : *apps) names.push_back(a.name);
  return names;
}

struct StoreFixture {
  TempDir dir;
  fs::path path = dir.path() / "mothership.db";
  std::unique_ptr<ms::Store> store = ms_test::OpenStore(path);
};

}  // namespace

TEST_CASE("Store::Open migrates a new database and reopens an existing one", "[store]") {
  TempDir dir;
  fs::path path = dir.path() / "state.db";
  {
    auto store = ms::Store::Open(path);
    REQUIRE_OK(store);
    REQUIRE_OK((*store)->CreateApp("kept", "root"));
    REQUIRE_OK((*store)->SetConfig("kept", {{"K", "v"}}));
  }
  CHECK(fs::exists(path));
  CHECK(QueryFile(path, "PRAGMA user_version") == std::to_string(ms::Database::LatestSchemaVersion()));
  CHECK(QueryFile(path, "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name IN "
                        "('apps','ssh_keys','config_vars','deploys','releases')") == "5");

  // Reopening does not migrate again (that would fail on CREATE TABLE) and keeps data.
  auto again = ms::Store::Open(path);
  REQUIRE_OK(again);
  CHECK(QueryFile(path, "PRAGMA user_version") == std::to_string(ms::Database::LatestSchemaVersion()));
  auto app = (*again)->GetApp("kept");
  REQUIRE_OK(app);
  CHECK(app->name == "kept");
  auto config = (*again)->GetConfig("kept");
  REQUIRE_OK(config);
  CHECK(*config == ms::ConfigVars{{"K", "v"}});

  auto db = ms::Database::Open(path);
  REQUIRE_OK(db);
  CHECK((*db)->SchemaVersion() == ms::Database::LatestSchemaVersion());
}

TEST_CASE("Store::Open refuses a database from a newer mothership", "[store]") {
  TempDir dir;
  fs::path path = dir.path() / "state.db";
  { REQUIRE_OK(ms::Store::Open(path)); }
  ExecFile(path, "PRAGMA user_version = 99");
  auto store = ms::Store::Open(path);
  REQUIRE_FALSE(store.has_value());
  CHECK(Contains(store.error().message, "schema version 99"));
}

TEST_CASE("Store::Open fails with a message when the file cannot be opened", "[store]") {
  TempDir dir;
  auto store = ms::Store::Open(dir.path() / "missing-dir" / "state.db");
  REQUIRE_FALSE(store.has_value());
  CHECK(Contains(store.error().message, "missing-dir"));
}

TEST_CASE("Store uses WAL journal mode and foreign keys", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("walapp", "root"));
  CHECK(QueryFile(f.path, "PRAGMA journal_mode") == "wal");
  CHECK(fs::exists(fs::path(f.path.string() + "-wal")));
}

TEST_CASE("Store apps: create / get / list", "[store]") {
  StoreFixture f;
  auto created = f.store->CreateApp("demo", "root");
  REQUIRE_OK(created);
  CHECK(created->id > 0);
  CHECK(created->name == "demo");
  CHECK(created->deploy_branch.empty());
  CHECK(created->created_at.size() >= 20);  // 2024-01-02T03:04:05.678Z
  CHECK(created->created_at.back() == 'Z');

  auto got = f.store->GetApp("demo");
  REQUIRE_OK(got);
  CHECK(got->id == created->id);
  CHECK(got->created_at == created->created_at);

  REQUIRE_OK(f.store->CreateApp("zeta", "root"));
  REQUIRE_OK(f.store->CreateApp("alpha", "root"));
  CHECK(AppNames(*f.store) == std::vector<std::string>{"alpha", "demo", "zeta"});
}

TEST_CASE("Store apps: errors", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("demo", "root"));

  auto dup = f.store->CreateApp("demo", "root");
  REQUIRE_FALSE(dup.has_value());
  CHECK(dup.error().code == ms::ErrorCode::kAlreadyExists);
  CHECK(Contains(dup.error().message, "'demo' already exists"));

  auto missing = f.store->GetApp("nope");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ms::ErrorCode::kNotFound);
  CHECK(Contains(missing.error().message, "'nope'"));

  for (auto r : {f.store->RenameApp("nope", "other"), f.store->DeleteApp("nope"),
                 f.store->SetDeployBranch("nope", "main")}) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kNotFound);
    CHECK(Contains(r.error().message, "'nope'"));
  }
  auto cfg = f.store->GetConfig("nope");
  REQUIRE_FALSE(cfg.has_value());
  CHECK(cfg.error().code == ms::ErrorCode::kNotFound);
  auto set = f.store->SetConfig("nope", {{"A", "1"}});
  REQUIRE_FALSE(set.has_value());
  CHECK(set.error().code == ms::ErrorCode::kNotFound);
  auto unset = f.store->UnsetConfig("nope", {"A"});
  REQUIRE_FALSE(unset.has_value());
  CHECK(unset.error().code == ms::ErrorCode::kNotFound);
  auto deploy = f.store->StartDeploy(ms_test::MakeDeploy("nope", "c"));
  REQUIRE_FALSE(deploy.has_value());
  CHECK(deploy.error().code == ms::ErrorCode::kNotFound);
  auto deploys = f.store->ListDeploys("nope", 5);
  REQUIRE_FALSE(deploys.has_value());
  CHECK(deploys.error().code == ms::ErrorCode::kNotFound);

  CHECK(AppNames(*f.store) == std::vector<std::string>{"demo"});
}

TEST_CASE("Store apps: rename keeps id and config - refuses a taken name", "[store]") {
  StoreFixture f;
  auto demo = f.store->CreateApp("demo", "root");
  REQUIRE_OK(demo);
  REQUIRE_OK(f.store->CreateApp("other", "root"));
  REQUIRE_OK(f.store->SetConfig("demo", {{"A", "1"}}));

  REQUIRE_OK(f.store->RenameApp("demo", "renamed"));
  CHECK(f.store->GetApp("demo").error().code == ms::ErrorCode::kNotFound);
  auto renamed = f.store->GetApp("renamed");
  REQUIRE_OK(renamed);
  CHECK(renamed->id == demo->id);
  CHECK(f.store->GetConfig("renamed").value() == ms::ConfigVars{{"A", "1"}});

  auto taken = f.store->RenameApp("renamed", "other");
  REQUIRE_FALSE(taken.has_value());
  CHECK(taken.error().code == ms::ErrorCode::kAlreadyExists);
  CHECK(Contains(taken.error().message, "'other'"));
  CHECK(AppNames(*f.store) == std::vector<std::string>{"other", "renamed"});
}

TEST_CASE("Store apps: a deleted app is noted as destroyed with its release versions until forgotten", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("demo", "root"));
  for (int v : {1, 2}) {
    ms::Release r;
    r.version = v;
    REQUIRE_OK(f.store->CreateRelease("demo", r));
  }
  CHECK(f.store->ListDestroyedApps().value().empty());
  REQUIRE_OK(f.store->DeleteApp("demo"));
  auto destroyed = f.store->ListDestroyedApps();
  REQUIRE_OK(destroyed);
  REQUIRE(destroyed->size() == 1);
  CHECK(destroyed->front().name == "demo");
  CHECK(destroyed->front().versions == std::vector<int>{1, 2});

  // Made and destroyed again before the first was all removed: both sets of
  // images are still to go.
  REQUIRE_OK(f.store->CreateApp("demo", "root"));
  ms::Release r;
  r.version = 1;
  REQUIRE_OK(f.store->CreateRelease("demo", r));
  REQUIRE_OK(f.store->DeleteApp("demo"));
  auto again = f.store->GetDestroyedApp("demo");
  REQUIRE_OK(again);
  REQUIRE(*again);
  CHECK((*again)->versions == std::vector<int>{1, 2, 1});

  REQUIRE_OK(f.store->ForgetDestroyedApp("demo"));
  CHECK(f.store->ListDestroyedApps().value().empty());
  CHECK_FALSE(f.store->GetDestroyedApp("demo").value());
}

TEST_CASE("Store apps: deploy branch", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("demo", "root"));
  REQUIRE_OK(f.store->SetDeployBranch("demo", "master"));
  CHECK(f.store->GetApp("demo").value().deploy_branch == "master");
}

TEST_CASE("Store apps: delete cascades to config and deploys", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("demo", "root"));
  REQUIRE_OK(f.store->CreateApp("keep", "root"));
  REQUIRE_OK(f.store->SetConfig("demo", {{"A", "1"}, {"B", "2"}}));
  REQUIRE_OK(f.store->SetConfig("keep", {{"A", "kept"}}));
  REQUIRE_OK(f.store->StartDeploy(ms_test::MakeDeploy("demo", "abc")));

  REQUIRE_OK(f.store->DeleteApp("demo"));
  CHECK(f.store->GetApp("demo").error().code == ms::ErrorCode::kNotFound);
  CHECK(QueryFile(f.path, "SELECT COUNT(*) FROM config_vars") == "1");
  CHECK(QueryFile(f.path, "SELECT COUNT(*) FROM deploys") == "0");

  // A new app of the same name starts empty.
  REQUIRE_OK(f.store->CreateApp("demo", "root"));
  CHECK(f.store->GetConfig("demo").value().empty());
  CHECK(f.store->ListDeploys("demo", 10).value().empty());
  CHECK(f.store->GetConfig("keep").value() == ms::ConfigVars{{"A", "kept"}});
}

TEST_CASE("Store keys: add / find / list / remove", "[store]") {
  StoreFixture f;
  auto admin = f.store->AddKey(MakeKey("root", "SHA256:root", ms::Role::kAdmin));
  REQUIRE_OK(admin);
  CHECK(admin->id > 0);
  CHECK(admin->name == "root");
  CHECK(admin->fingerprint == "SHA256:root");
  CHECK(admin->public_key == "ssh-ed25519 AAAAroot");
  CHECK(admin->role == ms::Role::kAdmin);
  CHECK_FALSE(admin->created_at.empty());

  REQUIRE_OK(f.store->AddKey(MakeKey("bob", "SHA256:bob")));
  REQUIRE_OK(f.store->AddKey(MakeKey("alice", "SHA256:alice")));

  auto found = f.store->FindKeyByFingerprint("SHA256:bob");
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK((*found)->name == "bob");
  CHECK((*found)->role == ms::Role::kDeveloper);

  auto none = f.store->FindKeyByFingerprint("SHA256:nobody");
  REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());

  auto keys = f.store->ListKeys();
  REQUIRE_OK(keys);
  REQUIRE(keys->size() == 3);
  CHECK((*keys)[0].name == "alice");
  CHECK((*keys)[1].name == "bob");
  CHECK((*keys)[2].name == "root");

  REQUIRE_OK(f.store->RemoveKey("bob", "", "root"));
  CHECK_FALSE(f.store->FindKeyByFingerprint("SHA256:bob").value().has_value());
  CHECK(f.store->ListKeys().value().size() == 2);

  auto missing = f.store->RemoveKey("bob", "", "root");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == ms::ErrorCode::kNotFound);
  CHECK(Contains(missing.error().message, "'bob'"));
}

TEST_CASE("Store keys: a duplicate fingerprint is refused, a name takes more keys of its role", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->AddKey(MakeKey("alice", "SHA256:one")));

  auto same_key = f.store->AddKey(MakeKey("alice2", "SHA256:one"));
  REQUIRE_FALSE(same_key.has_value());
  CHECK(same_key.error().code == ms::ErrorCode::kAlreadyExists);
  CHECK(Contains(same_key.error().message, "already registered as 'alice'"));

  REQUIRE_OK(f.store->AddKey(MakeKey("alice", "SHA256:two")));
  auto other_role = f.store->AddKey(MakeKey("alice", "SHA256:three", ms::Role::kAdmin));
  REQUIRE_FALSE(other_role.has_value());
  CHECK(Contains(other_role.error().message, "'alice' is a developer"));

  auto keys = f.store->KeysNamed("alice");
  REQUIRE_OK(keys);
  REQUIRE(keys->size() == 2);
  CHECK((*keys)[0].fingerprint == "SHA256:one");
  CHECK((*keys)[1].fingerprint == "SHA256:two");
}

TEST_CASE("Store keys: the last admin key cannot be removed", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->AddKey(MakeKey("root", "SHA256:root", ms::Role::kAdmin)));
  REQUIRE_OK(f.store->AddKey(MakeKey("dev", "SHA256:dev")));

  auto last = f.store->RemoveKey("root", "", "root");
  REQUIRE_FALSE(last.has_value());
  CHECK(Contains(last.error().message, "last admin"));
  CHECK(f.store->FindKeyByFingerprint("SHA256:root").value().has_value());

  // The refused removal left no transaction open: writes still work.
  REQUIRE_OK(f.store->RemoveKey("dev", "", "root"));

  REQUIRE_OK(f.store->AddKey(MakeKey("root2", "SHA256:root2", ms::Role::kAdmin)));
  REQUIRE_OK(f.store->RemoveKey("root", "", "root"));
  auto again = f.store->RemoveKey("root2", "", "root");
  REQUIRE_FALSE(again.has_value());
  CHECK(Contains(again.error().message, "last admin"));
  CHECK(f.store->ListKeys().value().size() == 1);
}

TEST_CASE("Store config: values come back byte for byte", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("demo", "root"));
  const ms::ConfigVars vars = {
      {"SPACES", "  leading and trailing  "},
      {"QUOTES", "it's \"quoted\" ''"},
      {"EQUALS", "a=b=c"},
      {"DOLLAR", "$HOME ${PATH} $(id) `id`"},
      {"NEWLINES", "line1\nline2\r\n\n"},
      {"UTF8", "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x9A\x80"},
      {"BACKSLASH", "C:\\path\\"},
      {"EMPTY", ""},
      {"URL", "postgres://u:p%40ss@host:5432/db?x=1&y=2"},
      {"BIG", std::string(64 * 1024, 'x')},
  };
  REQUIRE_OK(f.store->SetConfig("demo", vars));
  auto got = f.store->GetConfig("demo");
  REQUIRE_OK(got);
  CHECK(*got == vars);

  // Survives a reopen too.
  f.store.reset();
  f.store = ms_test::OpenStore(f.path);
  CHECK(f.store->GetConfig("demo").value() == vars);
}

TEST_CASE("Store config: set overwrites / unset reports what it removed", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("demo", "root"));
  REQUIRE_OK(f.store->CreateApp("other", "root"));
  REQUIRE_OK(f.store->SetConfig("demo", {{"A", "1"}, {"B", "2"}}));
  REQUIRE_OK(f.store->SetConfig("demo", {{"B", "two"}, {"C", "3"}}));
  REQUIRE_OK(f.store->SetConfig("other", {{"A", "other"}}));
  CHECK(f.store->GetConfig("demo").value() == ms::ConfigVars{{"A", "1"}, {"B", "two"}, {"C", "3"}});

  auto removed = f.store->UnsetConfig("demo", {"A", "NOPE", "C"});
  REQUIRE_OK(removed);
  CHECK(*removed == std::vector<std::string>{"A", "C"});
  CHECK(f.store->GetConfig("demo").value() == ms::ConfigVars{{"B", "two"}});
  CHECK(f.store->GetConfig("other").value() == ms::ConfigVars{{"A", "other"}});

  auto nothing = f.store->UnsetConfig("demo", {"A"});
  REQUIRE_OK(nothing);
  CHECK(nothing->empty());

  REQUIRE_OK(f.store->SetConfig("demo", {}));
  CHECK(f.store->GetConfig("demo").value() == ms::ConfigVars{{"B", "two"}});
}

TEST_CASE("Store deploys: start / finish / list", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("demo", "root"));
  REQUIRE_OK(f.store->CreateApp("other", "root"));
  auto first = f.store->StartDeploy(
      ms_test::MakeDeploy("demo", "1111111aaaa", "refs/heads/main", "alice"));
  REQUIRE_OK(first);
  auto second = f.store->StartDeploy(
      ms_test::MakeDeploy("demo", "2222222bbbb", "refs/heads/main", "bob"));
  REQUIRE_OK(second);
  REQUIRE_OK(f.store->StartDeploy(ms_test::MakeDeploy("other", "333", "r", "k")));
  CHECK(*second > *first);

  auto running = f.store->ListDeploys("demo", 10);
  REQUIRE_OK(running);
  REQUIRE(running->size() == 2);
  const ms::Deploy& newest = (*running)[0];
  CHECK(newest.id == *second);
  CHECK(newest.app == "demo");
  CHECK(newest.commit == "2222222bbbb");
  CHECK(newest.ref == "refs/heads/main");
  CHECK(newest.key_name == "bob");
  CHECK(newest.status == "running");
  CHECK(newest.message.empty());
  CHECK_FALSE(newest.started_at.empty());
  CHECK(newest.finished_at.empty());
  CHECK((*running)[1].id == *first);

  REQUIRE_OK(f.store->FinishDeploy(*first, true, "deployed 1111111"));
  REQUIRE_OK(f.store->FinishDeploy(*second, false, "build failed: it's \"broken\"\n"));

  auto done = f.store->ListDeploys("demo", 10);
  REQUIRE_OK(done);
  REQUIRE(done->size() == 2);
  CHECK((*done)[0].status == "failed");
  CHECK((*done)[0].message == "build failed: it's \"broken\"\n");
  CHECK_FALSE((*done)[0].finished_at.empty());
  CHECK((*done)[1].status == "succeeded");
  CHECK((*done)[1].message == "deployed 1111111");

  auto limited = f.store->ListDeploys("demo", 1);
  REQUIRE_OK(limited);
  REQUIRE(limited->size() == 1);
  CHECK((*limited)[0].id == *second);
}

TEST_CASE("Store deploys: FinishInterruptedDeploys - one whose release was recorded succeeded, others failed", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("demo", "root"));
  auto done = f.store->StartDeploy(ms_test::MakeDeploy("demo", "a"));
  REQUIRE_OK(done);
  REQUIRE_OK(f.store->FinishDeploy(*done, true, "ok"));
  REQUIRE_OK(f.store->StartDeploy(ms_test::MakeDeploy("demo", "b")));
  auto recorded = f.store->StartDeploy(ms_test::MakeDeploy("demo", "c"));
  REQUIRE_OK(recorded);
  ms::Release release;
  release.version = 1;
  release.image = "localhost:5000/demo:v1";
  release.deploy_id = *recorded;
  REQUIRE_OK(f.store->CreateRelease("demo", release));

  auto finished = f.store->FinishInterruptedDeploys();
  REQUIRE_OK(finished);
  REQUIRE(finished->size() == 2);
  CHECK((*finished)[0].commit == "b");
  CHECK((*finished)[0].app == "demo");
  CHECK((*finished)[0].status == "failed");
  CHECK((*finished)[1].commit == "c");
  CHECK((*finished)[1].status == "succeeded");

  auto deploys = f.store->ListDeploys("demo", 10);
  REQUIRE_OK(deploys);
  REQUIRE(deploys->size() == 3);
  for (const auto& d : *deploys) {
    INFO("commit " << d.commit);
    CHECK_FALSE(d.finished_at.empty());
    if (d.commit == "a") {
      CHECK(d.status == "succeeded");
      CHECK(d.message == "ok");
    } else if (d.commit == "b") {
      CHECK(d.status == "failed");
      CHECK(Contains(d.message, "interrupted"));
    } else {
      CHECK(d.status == "succeeded");
      CHECK(Contains(d.message, "it stopped after recording the release"));
    }
  }
  auto again = f.store->FinishInterruptedDeploys();
  REQUIRE_OK(again);
  CHECK(again->empty());
}

TEST_CASE("Store is usable from several threads at once", "[store]") {
  StoreFixture f;
  constexpr int kThreads = 4, kPerThread = 15;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string name = "app-" + std::to_string(t) + "-" + std::to_string(i);
        if (!f.store->CreateApp(name, "root")) ++failures;
        if (!f.store->SetConfig(name, {{"T", std::to_string(t)}})) ++failures;
        if (!f.store->ListApps()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
  CHECK(AppNames(*f.store).size() == kThreads * kPerThread);
}

TEST_CASE("ParseRole and RoleName", "[store]") {
  CHECK(ms::ParseRole("admin").value() == ms::Role::kAdmin);
  CHECK(ms::ParseRole("developer").value() == ms::Role::kDeveloper);
  CHECK(ms::RoleName(ms::Role::kAdmin) == "admin");
  CHECK(ms::RoleName(ms::Role::kDeveloper) == "developer");
  auto bad = ms::ParseRole("Admin");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ms::ErrorCode::kInvalidArgument);
  CHECK(Contains(bad.error().message, "admin or developer"));
}

TEST_CASE("Store certs: an app's own one replaced by the next - list - remove - gone with the app", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("shop", "root"));
  REQUIRE_OK(f.store->CreateApp("blog", "root"));
  ms::CertRecord cert{.app = "shop", .names = {"shop.example.com", "*.shop.example.com"},
                      .issuer = "Example CA", .key_type = "ECDSA P-256", .not_before = 1800000000,
                      .not_after = 1900000000, .file = "app-1-manual.pem"};
  REQUIRE_OK(f.store->PutCert(cert));
  cert.issuer = "Other CA";
  REQUIRE_OK(f.store->PutCert(cert));
  REQUIRE_OK(f.store->PutCert({.app = "blog", .names = {"blog.example.com"}, .issuer = "R3",
                               .key_type = "ECDSA P-256", .not_after = 1800000000, .file = "app-2-manual.pem"}));
  auto shop = f.store->ListCerts("shop");
  REQUIRE_OK(shop);
  REQUIRE(shop->size() == 1);
  CHECK((*shop)[0].source == "manual");
  CHECK((*shop)[0].issuer == "Other CA");
  CHECK((*shop)[0].names == std::vector<std::string>{"shop.example.com", "*.shop.example.com"});
  CHECK((*shop)[0].not_before == 1800000000);
  CHECK((*shop)[0].not_after == 1900000000);
  CHECK((*shop)[0].file == "app-1-manual.pem");
  auto all = f.store->ListCerts("");
  REQUIRE_OK(all);
  CHECK(all->size() == 2);
  CHECK(f.store->ListCerts("nope").error().code == ms::ErrorCode::kNotFound);

  CHECK(f.store->RemoveCert("shop").value() == true);
  CHECK(f.store->RemoveCert("shop").value() == false);
  CHECK(f.store->ListCerts("shop").value().empty());
  REQUIRE_OK(f.store->DeleteApp("blog"));
  CHECK(f.store->ListCerts("").value().empty());
}

TEST_CASE("Store ACME hosts: one row per host with its state, the platform's has no app, replaced, removed, "
          "gone with the app, and certs:auto is on unless disabled", "[store]") {
  StoreFixture f;
  REQUIRE_OK(f.store->CreateApp("shop", "root"));
  ms::AcmeHost shop{.host = "shop.example.com", .app = "shop"};
  REQUIRE_OK(f.store->PutAcmeHost(shop));
  REQUIRE_OK(f.store->PutAcmeHost({.host = "mothership.example.com"}));
  shop.status = "failing";
  shop.last_error = "DNS problem: SERVFAIL";
  shop.failures = 2;
  shop.next_attempt = 1800000120;
  shop.cert = {.issuer = "Pebble Intermediate", .key_type = "ECDSA P-256", .not_before = 1800000000,
               .not_after = 1800000090, .file = "app-1-acme-shop.example.com.pem", .added_at = "v1"};
  REQUIRE_OK(f.store->PutAcmeHost(shop));
  CHECK(f.store->PutAcmeHost({.host = "x.example.com", .app = "nope"}).error().code == ms::ErrorCode::kNotFound);

  auto hosts = f.store->ListAcmeHosts();
  REQUIRE_OK(hosts);
  REQUIRE(hosts->size() == 2);
  const auto& platform = (*hosts)[0];
  CHECK(platform.host == "mothership.example.com");
  CHECK(platform.app.empty());
  CHECK(platform.status == "waiting");
  CHECK(platform.cert.file.empty());
  const auto& got = (*hosts)[1];
  CHECK(got.app == "shop");
  CHECK(got.status == "failing");
  CHECK(got.last_error == "DNS problem: SERVFAIL");
  CHECK(got.failures == 2);
  CHECK(got.next_attempt == 1800000120);
  CHECK(got.cert.source == "acme");
  CHECK(got.cert.names == std::vector<std::string>{"shop.example.com"});
  CHECK(got.cert.not_after == 1800000090);
  CHECK(got.cert.file == "app-1-acme-shop.example.com.pem");
  CHECK(got.cert.added_at == "v1");

  CHECK(f.store->GetCertAuto("shop").value() == true);
  REQUIRE_OK(f.store->SetCertAuto("shop", false));
  REQUIRE_OK(f.store->SetCertAuto("shop", false));
  CHECK(f.store->GetCertAuto("shop").value() == false);
  REQUIRE_OK(f.store->SetCertAuto("shop", true));
  CHECK(f.store->GetCertAuto("shop").value() == true);

  CHECK(f.store->RemoveAcmeHost("mothership.example.com").value() == true);
  CHECK(f.store->RemoveAcmeHost("mothership.example.com").value() == false);
  REQUIRE_OK(f.store->DeleteApp("shop"));
  CHECK(f.store->ListAcmeHosts().value().empty());
}
