#include "server/builder/release_yaml.h"

#include <catch2/catch.hpp>

#include "test_helpers.h"

using ms::ParseReleaseYaml;

TEST_CASE("ParseReleaseYaml reads process types and config vars of bin/release", "[release_yaml]") {
  auto release = ParseReleaseYaml(
      "---\naddons:\n  - heroku-postgresql\nconfig_vars:\n  LANG: en_US.UTF-8\n"
      "default_process_types:\n  web: bin/rails server -p ${PORT:-5000}\n  rake: bundle exec rake\n");
  REQUIRE_OK(release);
  CHECK(release->process_types == std::map<std::string, std::string>{
                                      {"rake", "bundle exec rake"}, {"web", "bin/rails server -p ${PORT:-5000}"}});
  CHECK(release->config_vars == std::map<std::string, std::string>{{"LANG", "en_US.UTF-8"}});
}

TEST_CASE("ParseReleaseYaml leaves out what is missing or not a map", "[release_yaml]") {
  auto empty = ParseReleaseYaml("");
  REQUIRE_OK(empty);
  CHECK(empty->process_types.empty());
  auto list = ParseReleaseYaml("default_process_types: [web]\nconfig_vars: 3\n");
  REQUIRE_OK(list);
  CHECK(list->process_types.empty());
  CHECK(list->config_vars.empty());
}

TEST_CASE("ParseReleaseYaml refuses what is not YAML or a value that is not text", "[release_yaml]") {
  CHECK_FALSE(ParseReleaseYaml("default_process_types: {web: [").has_value());
  CHECK_FALSE(ParseReleaseYaml("default_process_types:\n  web: [a, b]\n").has_value());
}
