#include "server/deploy/app_json.h"

#include <catch2/catch.hpp>

#include "test_helpers.h"

using ms::ParseAppJsonCheckPath;

TEST_CASE("ParseAppJsonCheckPath takes the first healthchecks.web path", "[app_json]") {
  auto path = ParseAppJsonCheckPath(
      R"({"name": "x", "healthchecks": {"web": [{"type": "liveness"}, {"path": "/ready"}, {"path": "/b"}]}})");
  REQUIRE_OK(path);
  CHECK(*path == "/ready");
  for (const char* none : {"{}", R"({"healthchecks": 1})", R"({"healthchecks": {"web": [1, {"type": "x"}]}})"}) {
    INFO(none);
    auto empty = ParseAppJsonCheckPath(none);
    REQUIRE_OK(empty);
    CHECK(empty->empty());
  }
}

TEST_CASE("ParseAppJsonCheckPath names what is wrong", "[app_json]") {
  auto not_json = ParseAppJsonCheckPath("[1]");
  REQUIRE_FALSE(not_json.has_value());
  CHECK(not_json.error().code == ms::ErrorCode::kInvalidArgument);
  CHECK(not_json.error().message == "app.json is not a JSON object");
  CHECK(ParseAppJsonCheckPath("{\"a\": ").error().message == "app.json is not valid JSON");
  CHECK(ParseAppJsonCheckPath("{\"a\": \"\xFF\"}").error().message == "app.json is not UTF-8 text (byte 8 is not); save it as UTF-8");
  auto not_list = ParseAppJsonCheckPath(R"({"healthchecks": {"web": {"path": "/"}}})");
  REQUIRE_FALSE(not_list.has_value());
  CHECK(not_list.error().message == "app.json: healthchecks.web must be a list of checks");
  auto bad_path = ParseAppJsonCheckPath(R"({"healthchecks": {"web": [{"path": "/a b"}]}})");
  REQUIRE_FALSE(bad_path.has_value());
  CHECK(bad_path.error().message == "app.json: a healthchecks.web path must be a URL path like /health");
}
