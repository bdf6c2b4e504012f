// Storage mounts: names, paths, volumes and the services of an app with
// storage (server/runtime/storage_spec.h, service_spec.h).

#include <catch2/catch.hpp>

#include "server/runtime/service_spec.h"
#include "server/runtime/storage_spec.h"

TEST_CASE("storage: names and paths - system directories and tricks refused", "[storage]") {
  CHECK(ms::ValidateStorageName("uploads"));
  CHECK_FALSE(ms::ValidateStorageName("Uploads"));
  CHECK_FALSE(ms::ValidateStorageName("up_loads"));
  CHECK_FALSE(ms::ValidateStorageName("-x"));
  for (const char* ok : {"/data", "/app/uploads", "/var/lib/app", "/srv/files-1", "/app/db/sqlite.d", "/tmp/x"}) {
    INFO(ok);
    CHECK(ms::ValidateStoragePath(ok));
  }
  for (const char* bad : {"", "data", "/", "/app", "/app/", "/app/../etc", "/./data", "//data", "/data/.",
                          "/proc", "/proc/1", "/etc/x", "/usr/lib", "/dev/shm", "/sys", "/bin", "/lib", "/lib/x",
                          "/tmp", "/run", "/layers", "/data dir", "/data;rm", "/data:ro"}) {
    INFO(bad);
    CHECK_FALSE(ms::ValidateStoragePath(bad));
  }
  CHECK_FALSE(ms::ValidateStoragePath("/" + std::string(200, 'a')));
  auto parsed = ms::ParseStorageMount("uploads:/app/uploads");
  REQUIRE(parsed);
  CHECK(parsed->first == "uploads");
  CHECK(parsed->second == "/app/uploads");
  CHECK_FALSE(ms::ParseStorageMount("uploads"));
  CHECK_FALSE(ms::ParseStorageMount("uploads:/app/uploads:ro"));
  CHECK_FALSE(ms::ParseStorageMount(":/data"));
}

TEST_CASE("storage: volumes are named by installation, app and name - two apps never share one", "[storage]") {
  CHECK(ms::StorageVolumeName("inst", "shop", "uploads") == "mothership-storage-inst-shop_uploads");
  // App a-b's storage c and app a's storage b-c.
  CHECK(ms::StorageVolumeName("inst", "a-b", "c") != ms::StorageVolumeName("inst", "a", "b-c"));
  auto labels = ms::StorageVolumeLabels("inst", "shop", "uploads");
  CHECK(labels.at("mothership.install") == "inst");
  CHECK(labels.at("mothership.storage.app") == "shop");
  CHECK(ms::StorageAppFilter("shop") == "mothership.storage.app=shop");
}

TEST_CASE("storage: an app with storage is pinned to the volume's node and rolled stop-first - without, start-first "
          "anywhere",
          "[storage]") {
  ms::Release release;
  release.version = 3;
  release.image = "registry/shop:v3";
  ms::ProcessSpec p;
  p.app = "shop";
  p.install = "inst";
  p.type = "web";
  p.command = "node web.js";
  p.release = &release;
  p.app_network = "shop-net";
  auto plain = ms::MakeServiceSpec(p);
  CHECK(plain.update.order == "start-first");
  CHECK(plain.constraints.empty());
  CHECK(plain.mounts.empty());

  p.storage = {ms::BindMount{"mothership-storage-inst-shop_uploads", "/data", false, true}};
  p.storage_node = "node1";
  auto pinned = ms::MakeServiceSpec(p);
  CHECK(pinned.update.order == "stop-first");
  REQUIRE(pinned.rollback);
  CHECK(pinned.rollback->order == "stop-first");
  CHECK(pinned.constraints == std::vector<std::string>{"node.id==node1"});
  REQUIRE(pinned.mounts.size() == 1);
  CHECK(pinned.mounts[0].source == "mothership-storage-inst-shop_uploads");
  CHECK(pinned.mounts[0].target == "/data");
  CHECK(pinned.mounts[0].volume);
  CHECK_FALSE(pinned.mounts[0].read_only);
}
