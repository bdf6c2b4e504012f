// ctest runs each unit test case by its name (catch_discover_tests): a ';'
// splits the name into a CMake list, and the case then matches nothing.

#include <catch2/catch.hpp>

TEST_CASE("no unit test case name holds a semicolon (ctest could not run it)") {
  const auto& all = Catch::getRegistryHub().getTestCaseRegistry().getAllTests();
  REQUIRE(all.size() > 250);
  for (const auto& test : all) {
    INFO(test.getTestCaseInfo().name);
    CHECK(test.getTestCaseInfo().name.find(';') == std::string::npos);
  }
}
