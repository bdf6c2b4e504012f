#include "server/setup/registry.h"

#include <catch2/catch.hpp>

TEST_CASE("setup knows whether the engine speaks plain HTTP to the registry", "[registry]") {
  ms::EngineInfo engine;
  engine.insecure_registry_cidrs = {"127.0.0.0/8", "10.77.0.0/16", "bad", "10.0.0.0/x"};
  engine.insecure_registries = {"registry.internal:5000"};
  CHECK(ms::EngineSpeaksHttpTo(engine, "localhost:5000"));
  CHECK(ms::EngineSpeaksHttpTo(engine, "127.0.0.2:5001"));
  CHECK(ms::EngineSpeaksHttpTo(engine, "10.77.3.4:5000"));
  CHECK(ms::EngineSpeaksHttpTo(engine, "registry.internal:5000"));
  CHECK_FALSE(ms::EngineSpeaksHttpTo(engine, "registry.internal:5001"));
  CHECK_FALSE(ms::EngineSpeaksHttpTo(engine, "10.78.0.1:5000"));
  CHECK_FALSE(ms::EngineSpeaksHttpTo(engine, "192.0.2.10:5000"));
  engine.insecure_registry_cidrs = {"0.0.0.0/0"};
  CHECK(ms::EngineSpeaksHttpTo(engine, "192.0.2.10:5000"));
}

TEST_CASE("each port of this host has its own registry container", "[registry]") {
  CHECK(ms::RegistryContainerName("localhost:5000") == "mothership-registry");
  CHECK(ms::RegistryContainerName("10.0.0.5:5000") == "mothership-registry");
  CHECK(ms::RegistryContainerName("127.0.0.2:5001") == "mothership-registry-5001");
}
