#include <catch2/catch.hpp>

#include <filesystem>

#include "server/common/disk_space.h"

TEST_CASE("DiskFullAdvice: says the disk is full for the engine's and git's 'no space left on device', in any case, "
          "and nothing for other errors") {
  // (This machine's /tmp has more than kPushNeedsFreeMb free.)
  const auto tmp = std::filesystem::temp_directory_path();
  REQUIRE(ms::FreeMb(tmp).value() >= ms::kPushNeedsFreeMb);
  CHECK(ms::DiskFullAdvice(tmp, "Docker engine: write /app/big.bin: no space left on device")
            .starts_with("the server ran out of disk space"));
  CHECK(ms::DiskFullAdvice(tmp, "fatal: unable to write loose object file: No Space Left On Device")
            .find("then push again.") != std::string::npos);
  CHECK(ms::DiskFullAdvice(tmp, "").empty());
  CHECK(ms::DiskFullAdvice(tmp, "Docker engine: manifest unknown").empty());
  CHECK_FALSE(ms::FreeMb("/no/such/directory").has_value());
}
