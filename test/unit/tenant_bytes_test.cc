// Bytes a tenant sends that are not UTF-8: a clear error where they must
// become JSON, never a throw that ends a thread or the daemon.

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>

#include "server/builder/procfile.h"
#include "server/common/json.h"
#include "server/common/thread_group.h"
#include "server/common/utf8.h"

TEST_CASE("utf8: well-formed text passes, and the first bad byte is found", "[utf8]") {
  CHECK(ms::IsUtf8(""));
  CHECK(ms::IsUtf8("web: node server.js"));
  CHECK(ms::IsUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\x80"));   // é € 🚀
  CHECK(ms::FirstInvalidUtf8("ab\xFF") == 2);                         // never valid
  CHECK(ms::FirstInvalidUtf8("a\xC3") == 1);                          // cut short
  CHECK(ms::FirstInvalidUtf8("\xC0\xAF") == 0);                       // overlong '/'
  CHECK(ms::FirstInvalidUtf8("\xE0\x80\xAF") == 0);                   // overlong
  CHECK(ms::FirstInvalidUtf8("x\xED\xA0\x80") == 1);                  // a surrogate
  CHECK(ms::FirstInvalidUtf8("\xF4\x90\x80\x80") == 0);               // above U+10FFFF
  CHECK(ms::FirstInvalidUtf8("\xE2\x82") == 0);                       // cut short
  CHECK(ms::FirstInvalidUtf8("\xE2\x28\xA1") == 0);                   // bad continuation
  CHECK(ms::IsUtf8("\xF4\x8F\xBF\xBF"));                              // U+10FFFF
}

TEST_CASE("a Procfile line that is not UTF-8 is refused with its line number", "[utf8]") {
  auto types = ms::ParseProcfile("web: node server.js\nworker: echo \xFF\xFE\n");
  REQUIRE_FALSE(types.has_value());
  CHECK(types.error().code == ms::ErrorCode::kInvalidArgument);
  CHECK(types.error().message == "Procfile line 2 is not UTF-8 text (byte 14 is not); save the Procfile as UTF-8");
  CHECK(ms::IsUtf8(types.error().message));
  auto fine = ms::ParseProcfile("web: echo caf\xC3\xA9\n");
  REQUIRE(fine.has_value());
  CHECK(fine->at("web") == "echo caf\xC3\xA9");
}

TEST_CASE("DumpJson never throws: bytes that are not UTF-8 become U+FFFD", "[utf8]") {
  nlohmann::json j = {{"Env", {"A=\xFF"}}, {"Command", "echo \xC0"}};
  std::string text;
  REQUIRE_NOTHROW(text = ms::DumpJson(j));
  CHECK(text == "{\"Command\":\"echo \xEF\xBF\xBD\",\"Env\":[\"A=\xEF\xBF\xBD\"]}");
  CHECK(ms::IsUtf8(text));
}

TEST_CASE("ThreadGroup: a thread that throws ends its own work, the others and the process go on", "[utf8]") {
  ms::ThreadGroup group;
  std::atomic<int> finished{0};
  group.Spawn([] { throw std::runtime_error("boom"); });
  group.Spawn([] { throw 42; });
  group.Spawn([&] { ++finished; });
  group.JoinAll();
  CHECK(finished == 1);
  CHECK(group.Count() == 0);
}
