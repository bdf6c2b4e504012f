// The store's add-ons, attachments and backups (server/store/store_addons.cc).

#include <catch2/catch.hpp>

#include "server/store/store.h"
#include "test_helpers.h"

using ms_test::Contains;
using ms_test::TempDir;

namespace {

ms::Addon Postgres(const std::string& name, const std::string& app) {
  ms::Addon a;
  a.name = name;
  a.kind = "postgres";
  a.app = app;
  a.node_id = "node1";
  a.db_name = a.db_user = app;
  a.db_password = "pw";
  return a;
}

}  // namespace

TEST_CASE("Store: an add-on is recorded attached to its app - attachments name their config var once per app",
          "[store][addons]") {
  TempDir dir;
  auto store = ms_test::OpenStore(dir.path() / "mothership.db");
  REQUIRE_OK(store->CreateApp("shop", "alice"));
  REQUIRE_OK(store->CreateApp("reports", "bob"));
  auto created = store->CreateAddon(Postgres("shop-postgres", "shop"), "DATABASE");
  REQUIRE_OK(created);
  CHECK(created->app == "shop");
  CHECK(created->backup_at.empty());
  CHECK(created->state == "creating");  // ready once its role and database exist
  REQUIRE_OK(store->SetAddonState("shop-postgres", "ready"));
  CHECK((*store->GetAddon("shop-postgres"))->state == "ready");

  auto again = store->CreateAddon(Postgres("shop-postgres", "reports"), "DATABASE");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ms::ErrorCode::kAlreadyExists);
  CHECK(Contains(again.error().message, "--name"));

  // Another add-on as DATABASE on shop: refused; as another name: attached.
  REQUIRE_OK(store->CreateAddon(Postgres("reports-postgres", "reports"), "DATABASE"));
  auto clash = store->AttachAddon("reports-postgres", "shop", "DATABASE");
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == ms::ErrorCode::kAlreadyExists);
  REQUIRE_OK(store->AttachAddon("reports-postgres", "shop", "REPORTS"));
  auto of_shop = store->ListAttachments("shop");
  REQUIRE_OK(of_shop);
  REQUIRE(of_shop->size() == 2);
  CHECK((*of_shop)[0].name == "DATABASE");
  CHECK((*of_shop)[1].addon == "reports-postgres");
  auto missing = store->AttachAddon("nope", "shop", "X");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ms::ErrorCode::kNotFound);

  auto detached = store->DetachAddon("reports-postgres", "shop");
  REQUIRE_OK(detached);
  CHECK(*detached);
  CHECK_FALSE(*store->DetachAddon("reports-postgres", "shop"));

  REQUIRE_OK(store->SetAddonPassword("shop-postgres", "new"));
  REQUIRE_OK(store->SetBackupSchedule("shop-postgres", "02:30"));
  auto read = store->GetAddon("shop-postgres");
  REQUIRE_OK(read);
  REQUIRE(*read);
  CHECK((*read)->db_password == "new");
  CHECK((*read)->backup_at == "02:30");

  // An app with an add-on cannot leave the store under it.
  CHECK_FALSE(store->DeleteApp("shop"));
  REQUIRE_OK(store->DeleteAddon("shop-postgres"));
  CHECK_FALSE(*store->GetAddon("shop-postgres"));
  REQUIRE_OK(store->DeleteApp("shop"));
}

TEST_CASE("Store: backups outlive their add-on - a daemon's restart fails the ones it left running",
          "[store][addons]") {
  TempDir dir;
  auto store = ms_test::OpenStore(dir.path() / "mothership.db");
  REQUIRE_OK(store->CreateApp("shop", "alice"));
  auto addon = store->CreateAddon(Postgres("shop-postgres", "shop"), "DATABASE");
  REQUIRE_OK(addon);
  ms::AddonBackup b;
  b.addon_id = addon->id;
  b.addon = "shop-postgres";
  b.app = "shop";
  b.location = "local";
  b.taken_by = "alice";
  auto one = store->StartBackup(b);
  auto two = store->StartBackup(b);
  REQUIRE_OK(one);
  REQUIRE_OK(two);
  REQUIRE_OK(store->FinishBackup(*one, true, 1234, ""));
  REQUIRE_OK(store->FailInterruptedBackups());
  REQUIRE_OK(store->DeleteAddon("shop-postgres"));
  auto list = store->ListBackups(addon->id);
  REQUIRE_OK(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].id == *two);  // newest first
  CHECK((*list)[0].status == "failed");
  CHECK((*list)[0].reason == "the daemon stopped while it ran");
  CHECK((*list)[1].status == "succeeded");
  CHECK((*list)[1].size == 1234);
  REQUIRE_OK(store->DeleteBackup(*two));
  CHECK(store->ListBackups(addon->id)->size() == 1);
  // An add-on made later with the name has none of them.
  auto later = store->CreateAddon(Postgres("shop-postgres", "shop"), "DATABASE");
  REQUIRE_OK(later);
  CHECK(later->id != addon->id);
  CHECK(store->ListBackups(later->id)->empty());
}

TEST_CASE("Store: the backups of an app's destroyed add-ons are the app's - through a rename - not another app's - "
          "not an app made later with its name",
          "[store][addons]") {
  TempDir dir;
  auto store = ms_test::OpenStore(dir.path() / "mothership.db");
  REQUIRE_OK(store->CreateApp("shop", "alice"));
  REQUIRE_OK(store->CreateApp("cart", "bob"));
  auto backup_of = [&](const ms::Addon& addon) {
    ms::AddonBackup b;
    b.addon_id = addon.id;
    b.addon = addon.name;
    b.app = addon.app;
    b.location = "local";
    auto id = store->StartBackup(b);
    REQUIRE_OK(id);
    REQUIRE_OK(store->FinishBackup(*id, true, 10, ""));
    return *id;
  };
  auto first = store->CreateAddon(Postgres("shop-postgres", "shop"), "DATABASE");
  REQUIRE_OK(first);
  const int64_t kept = backup_of(*first);
  auto theirs = store->CreateAddon(Postgres("cart-postgres", "cart"), "DATABASE");
  REQUIRE_OK(theirs);
  const int64_t cart_kept = backup_of(*theirs);
  // While the add-on lives, its backups are its own list's, not the former ones.
  CHECK(store->ListFormerBackups("shop")->empty());
  REQUIRE_OK(store->DeleteAddon("shop-postgres"));
  REQUIRE_OK(store->DeleteAddon("cart-postgres"));
  auto second = store->CreateAddon(Postgres("shop-postgres", "shop"), "DATABASE");
  REQUIRE_OK(second);
  const int64_t current = backup_of(*second);
  auto former = store->ListFormerBackups("shop");
  REQUIRE_OK(former);
  REQUIRE(former->size() == 1);
  CHECK((*former)[0].id == kept);
  CHECK((*former)[0].addon == "shop-postgres");
  CHECK((*former)[0].id != current);
  CHECK(store->ListFormerBackups("cart")->at(0).id == cart_kept);
  // Renamed, the app keeps them.
  REQUIRE_OK(store->DeleteAddon("shop-postgres"));
  REQUIRE_OK(store->RenameApp("shop", "store"));
  former = store->ListFormerBackups("store");
  REQUIRE_OK(former);
  CHECK(former->size() == 2);
  CHECK(store->ListFormerBackups("shop")->empty());
  // Destroyed and made again (perhaps with its id): the new app has none of them.
  REQUIRE_OK(store->DeleteApp("store"));
  REQUIRE_OK(store->DeleteApp("cart"));
  REQUIRE_OK(store->CreateApp("store", "mallory"));
  REQUIRE_OK(store->CreateApp("cart", "mallory"));
  CHECK(store->ListFormerBackups("store")->empty());
  CHECK(store->ListFormerBackups("cart")->empty());
  // (The rows stay, for an admin: the dumps are files or objects.)
  auto row = store->GetBackup(kept);
  REQUIRE_OK(row);
  CHECK(row->has_value());
}

TEST_CASE("Store: a Redis keeps its size and policy - storage mounts are the app's, by name and by path, and go "
          "with it",
          "[store][addons][storage]") {
  TempDir dir;
  auto store = ms_test::OpenStore(dir.path() / "mothership.db");
  REQUIRE_OK(store->CreateApp("shop", "alice"));
  ms::Addon redis;
  redis.name = "shop-redis";
  redis.kind = "redis";
  redis.app = "shop";
  redis.db_password = "pw";
  redis.size_mb = 512;
  redis.policy = "allkeys-lru";
  REQUIRE_OK(store->CreateAddon(redis, "REDIS"));
  auto got = store->GetAddon("shop-redis");
  REQUIRE_OK(got);
  REQUIRE(*got);
  CHECK((*got)->size_mb == 512);
  CHECK((*got)->policy == "allkeys-lru");

  REQUIRE_OK(store->AddStorageMount(ms::StorageMount{"shop", "uploads", "/data", "node1", ""}));
  REQUIRE_OK(store->AddStorageMount(ms::StorageMount{"shop", "db", "/app/db", "node1", ""}));
  auto same_name = store->AddStorageMount(ms::StorageMount{"shop", "uploads", "/other", "node1", ""});
  REQUIRE_FALSE(same_name);
  CHECK(same_name.error().code == ms::ErrorCode::kAlreadyExists);
  auto same_path = store->AddStorageMount(ms::StorageMount{"shop", "other", "/data", "node1", ""});
  REQUIRE_FALSE(same_path);
  CHECK(same_path.error().code == ms::ErrorCode::kAlreadyExists);
  auto no_app = store->AddStorageMount(ms::StorageMount{"nope", "x", "/x", "node1", ""});
  CHECK_FALSE(no_app);
  auto mounts = store->ListStorageMounts("shop");
  REQUIRE_OK(mounts);
  REQUIRE(mounts->size() == 2);
  CHECK(mounts->at(0).name == "db");
  CHECK(mounts->at(1).path == "/data");
  CHECK(mounts->at(1).node_id == "node1");
  REQUIRE_OK(store->RemoveStorageMount("shop", "db"));
  auto again = store->RemoveStorageMount("shop", "db");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ms::ErrorCode::kNotFound);
  CHECK(store->ListStorageMounts("shop").value().size() == 1);
}
