#include "server/git/push_registry.h"

#include <catch2/catch.hpp>

#include <atomic>

TEST_CASE("PushRegistry: a push's client_gone follows its SSH job - and is true once the push is over", "[git]") {
  ms::PushRegistry pushes;
  std::atomic<bool> cancelled{false};
  std::string token = pushes.Register({"shop", "alice", "127.0.0.1", nullptr}, [&] { return cancelled.load(); });
  auto push = pushes.Find(token);
  REQUIRE(push);
  CHECK(push->app == "shop");
  CHECK(push->key_name == "alice");
  REQUIRE(push->client_gone);
  CHECK_FALSE(push->client_gone());
  cancelled = true;  // the client left
  CHECK(push->client_gone());
  cancelled = false;
  CHECK_FALSE(push->client_gone());
  // receive-pack ended: whatever the job says, the push is gone (and the job is not asked).
  pushes.Unregister(token);
  CHECK(push->client_gone());
  CHECK_FALSE(pushes.Find(token));
}
