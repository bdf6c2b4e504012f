// The Postgres add-on's names and service (server/addons/postgres_service.h).

#include <catch2/catch.hpp>

#include "server/addons/postgres_service.h"
#include "test/unit/test_helpers.h"

TEST_CASE("addons: names of roles, databases and add-ons - reserved and bad ones refused", "[addons]") {
  CHECK(ms::PgIdentifier("shop") == "shop");
  CHECK(ms::PgIdentifier("my-app") == "my_app");
  CHECK(ms::PgIdentifier("pg-e22996") == "app_pg_e22996");  // pg_ is Postgres's
  CHECK(ms::PgIdentifier("1st") == "app_1st");
  CHECK(ms::ValidateAddonName("shop-postgres"));
  CHECK_FALSE(ms::ValidateAddonName("Shop"));
  CHECK_FALSE(ms::ValidateAddonName("-x"));
  CHECK_FALSE(ms::ValidateAddonName("a_b"));
  CHECK_FALSE(ms::ValidateAddonName(std::string(41, 'a')));
  CHECK(ms::ValidateAttachmentName("DATABASE"));
  CHECK(ms::ValidateAttachmentName("REPORTS_DB"));
  CHECK_FALSE(ms::ValidateAttachmentName("database"));
  CHECK_FALSE(ms::ValidateAttachmentName("1DB"));
  CHECK_FALSE(ms::ValidateAttachmentName("DB-X"));
}

TEST_CASE("addons: the Postgres service - its own name, pinned, stop-first, its volume, the apps' networks only",
          "[addons]") {
  ms::ServiceSpec s = ms::MakePostgresServiceSpec(ms_test::ShopPostgres(), "inst", {"shop-net", "reports-net"});
  CHECK(s.name == "addon_shop-postgres");  // app services are APP-TYPE: never an underscore
  CHECK(s.image == "mothership/postgres:15");
  CHECK(s.replicas == 1);
  CHECK(s.update.order == "stop-first");
  CHECK(s.constraints == std::vector<std::string>{"node.id==node1"});
  REQUIRE(s.mounts.size() == 1);
  CHECK(s.mounts[0].volume);
  CHECK(s.mounts[0].source == "mothership-addon-inst-shop-postgres");
  CHECK(s.mounts[0].target == "/var/lib/postgresql/data");
  REQUIRE(s.networks.size() == 2);
  CHECK(s.networks[0].target == "shop-net");
  CHECK(s.networks[1].target == "reports-net");
  // The daemon compares this label with the attachments at its start (Addons::Ensure).
  CHECK(s.labels.at("mothership.networks") == "shop-net,reports-net");
  CHECK(s.labels.at("mothership.install") == "inst");
  CHECK_FALSE(s.labels.contains("mothership.app"));  // the app's own services are the runtime's
  CHECK(s.cap_drop == std::vector<std::string>{"ALL"});
  CHECK(s.limits.memory_bytes > 0);
  CHECK(s.limits.pids > 0);
  CHECK(s.restart_condition == "any");
  CHECK(ms::DatabaseUrl(ms_test::ShopPostgres()) == "postgres://shop:secret@addon_shop-postgres:5432/shop");
}
