#include "server/common/names.h"

#include <catch2/catch.hpp>

#include <string>

#include "server/builder/procfile.h"
#include "test_helpers.h"

using ms_test::Contains;

TEST_CASE("ValidateAppName accepts valid names", "[names]") {
  for (std::string name : {"ab", "my-app-2", "a1", "a--b", "abc-def-ghi", "z9z9"}) {
    INFO("name: " << name);
    CHECK(ms::ValidateAppName(name).has_value());
  }
  CHECK(ms::ValidateAppName(std::string(30, 'a')).has_value());
  CHECK(ms::ValidateAppName("a" + std::string(29, '9')).has_value());
}

TEST_CASE("ValidateAppName refuses invalid names", "[names]") {
  const std::vector<std::string> bad = {
      "a",           std::string(31, 'a'), "MyApp", "myApp", "1app",  "-app", "..",
      "a/b",         "/abs",               "",      "my app", " ab",  "ab ", "a.b",
      "a_b",         "../etc", "a-", "app-",             "ab\n",  "caf\xC3\xA9",    std::string("ab\0c", 4),
      std::string("\0ab", 3)};
  for (const auto& name : bad) {
    INFO("name: " << name << " (" << name.size() << " bytes)");
    auto r = ms::ValidateAppName(name);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
    CHECK(Contains(r.error().message, "is not a valid app name"));
    CHECK(Contains(r.error().message, "2 to 30 characters"));
  }
}

TEST_CASE("ValidateAppName keeps control characters and long input out of its message",
          "[names]") {
  auto r = ms::ValidateAppName(std::string("ab\0c\n", 5));
  REQUIRE_FALSE(r.has_value());
  CHECK(Contains(r.error().message, "'ab?c?'"));
  CHECK(r.error().message.find('\0') == std::string::npos);
  CHECK(r.error().message.find('\n') == std::string::npos);

  auto long_name = ms::ValidateAppName(std::string(1000, 'x') + "X");
  REQUIRE_FALSE(long_name.has_value());
  CHECK(Contains(long_name.error().message, "..."));
  CHECK(long_name.error().message.size() < 300);
}

TEST_CASE("ValidateConfigKey follows the documented pattern", "[names]") {
  for (std::string key : {"A", "a", "_", "_x", "DATABASE_URL", "port", "X1", "a_B_9"}) {
    INFO("key: " << key);
    CHECK(ms::ValidateConfigKey(key).has_value());
  }
  CHECK(ms::ValidateConfigKey(std::string(256, 'K')).has_value());

  const std::vector<std::string> bad = {"",    "1A",  "9",  "A-B", "A B", "A=B", "A.B", "$A",
                                        "A\n", "-A",  "\xC3\x84" "B",   std::string(257, 'K'),
                                        std::string("A\0B", 3)};
  for (const auto& key : bad) {
    INFO("key: " << key);
    auto r = ms::ValidateConfigKey(key);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
    CHECK(Contains(r.error().message, "is not a valid config key"));
  }
}

TEST_CASE("ValidateConfigValue allows any bytes but NUL / up to 64 KiB", "[names]") {
  CHECK(ms::ValidateConfigValue("K", "").has_value());
  CHECK(ms::ValidateConfigValue("K", "spaces 'quotes' \"dq\" = $ \n \xE2\x9C\x93").has_value());
  CHECK(ms::ValidateConfigValue("K", std::string(64 * 1024, 'v')).has_value());

  auto big = ms::ValidateConfigValue("BIG", std::string(64 * 1024 + 1, 'v'));
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().code == ms::ErrorCode::kInvalidArgument);
  CHECK(Contains(big.error().message, "BIG"));

  auto nul = ms::ValidateConfigValue("NUL", std::string("a\0b", 3));
  REQUIRE_FALSE(nul.has_value());
  CHECK(Contains(nul.error().message, "NUL"));
}

TEST_CASE("ValidateKeyName follows the documented pattern", "[names]") {
  for (std::string name : {"a", "Z", "7", "alice", "alice@laptop", "ci.bot_1-x", "A.B@C-D_E"}) {
    INFO("name: " << name);
    CHECK(ms::ValidateKeyName(name).has_value());
  }
  CHECK(ms::ValidateKeyName(std::string(64, 'k')).has_value());

  const std::vector<std::string> bad = {"",        std::string(65, 'k'), ".alice", "-alice",
                                        "@alice",  "_alice",             "a b",    "a/b",
                                        "a:b",     "a'b",                "a\n",    "caf\xC3\xA9",
                                        std::string("a\0b", 3)};
  for (const auto& name : bad) {
    INFO("name: " << name);
    auto r = ms::ValidateKeyName(name);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
    CHECK(Contains(r.error().message, "is not a valid key name"));
  }
}

TEST_CASE("ValidateProcessType: lower-case letters, digits and '_' - no '-', which would let names collide", "[names]") {
  for (const std::string& type : std::vector<std::string>{"web", "worker", "queue_2", "a", std::string(30, 'w')}) {
    INFO("type: " << type);
    CHECK(ms::ValidateProcessType(type).has_value());
  }
  for (const std::string& type :
       std::vector<std::string>{"", "bar-web", "Web", "2web", "_web", "web.1", "we b", std::string(31, 'w')}) {
    INFO("type: " << type);
    auto r = ms::ValidateProcessType(type);
    REQUIRE_FALSE(r.has_value());
    CHECK(Contains(r.error().message, "is not a process type name: use up to 30 lower-case letters"));
  }
  // App foo's type bar-web would have been app foo-bar's web service.
  auto procfile = ms::ParseProcfile("web: node server.js\nbar-web: node other.js\n");
  REQUIRE_FALSE(procfile.has_value());
  CHECK(procfile.error().message ==
        "Procfile line 2: 'bar-web' is not a process type name: use up to 30 lower-case letters, digits and '_', "
        "starting with a letter (for example: web, worker, queue_2)");
  CHECK(ms::ParseProcfile("web node\n").error().message == "Procfile line 1 is not 'type: command': web node");
}
