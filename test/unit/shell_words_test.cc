#include "server/common/shell_words.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "test_helpers.h"

using ms::QuoteShellWord;
using ms::SplitShellWords;
using Words = std::vector<std::string>;

namespace {

Words Split(std::string_view line) {
  auto r = SplitShellWords(line);
  INFO("line: " << std::string(line));
  REQUIRE_OK(r);
  return *r;
}

}  // namespace

TEST_CASE("SplitShellWords splits on blanks", "[shell_words]") {
  CHECK(Split("") == Words{});
  CHECK(Split("   \t  ") == Words{});
  CHECK(Split("apps:list") == Words{"apps:list"});
  CHECK(Split("a b  c") == Words{"a", "b", "c"});
  CHECK(Split("  a\tb  ") == Words{"a", "b"});
  CHECK(Split("a\nb") == Words{"a", "b"});
  CHECK(Split("config:set demo A=1 B=2") == Words{"config:set", "demo", "A=1", "B=2"});
}

TEST_CASE("SplitShellWords honours single quotes literally", "[shell_words]") {
  CHECK(Split("'a b' c") == Words{"a b", "c"});
  CHECK(Split("'a\\b'") == Words{"a\\b"});
  CHECK(Split("'$HOME \"x\" `y`'") == Words{"$HOME \"x\" `y`"});
  CHECK(Split("A='x y'") == Words{"A=x y"});
  CHECK(Split("'line1\nline2'") == Words{"line1\nline2"});
}

TEST_CASE("SplitShellWords honours double quotes and their escapes", "[shell_words]") {
  CHECK(Split("\"a b\" c") == Words{"a b", "c"});
  CHECK(Split(R"("a\"b")") == Words{"a\"b"});
  CHECK(Split(R"("a\\b")") == Words{"a\\b"});
  CHECK(Split(R"("\$HOME")") == Words{"$HOME"});
  CHECK(Split(R"("\`x\`")") == Words{"`x`"});
  // Other backslashes stay, as in sh.
  CHECK(Split(R"("a\nb")") == Words{"a\\nb"});
  CHECK(Split(R"("it's")") == Words{"it's"});
  CHECK(Split("\"line1\nline2\"") == Words{"line1\nline2"});
  // Backslash-newline inside double quotes is a line continuation.
  CHECK(Split("\"a\\\nb\"") == Words{"ab"});
  // Nothing is expanded.
  CHECK(Split("\"$HOME\"") == Words{"$HOME"});
}

TEST_CASE("SplitShellWords honours backslashes outside quotes", "[shell_words]") {
  CHECK(Split(R"(a\ b)") == Words{"a b"});
  CHECK(Split(R"(\'x\')") == Words{"'x'"});
  CHECK(Split(R"(\"x)") == Words{"\"x"});
  CHECK(Split(R"(a\\b)") == Words{"a\\b"});
  CHECK(Split("a\\\nb") == Words{"ab"});
}

TEST_CASE("SplitShellWords keeps empty quoted arguments", "[shell_words]") {
  CHECK(Split("''") == Words{""});
  CHECK(Split("\"\"") == Words{""});
  CHECK(Split("a '' b") == Words{"a", "", "b"});
  CHECK(Split("config:set demo A=''") == Words{"config:set", "demo", "A="});
  CHECK(Split("'' \"\"") == Words{"", ""});
}

TEST_CASE("SplitShellWords joins adjacent quoted parts into one word", "[shell_words]") {
  CHECK(Split(R"(a'b'"c"\d)") == Words{"abcd"});
  CHECK(Split("'it'\\''s'") == Words{"it's"});
}

TEST_CASE("SplitShellWords passes UTF-8 through", "[shell_words]") {
  CHECK(Split("h\xC3\xA9llo 'w\xC3\xB6rld \xE2\x9C\x93'") ==
        Words{"h\xC3\xA9llo", "w\xC3\xB6rld \xE2\x9C\x93"});
  CHECK(Split("\"\xF0\x9F\x9A\x80 rocket\"") == Words{"\xF0\x9F\x9A\x80 rocket"});
}

TEST_CASE("SplitShellWords refuses unterminated quotes and a trailing backslash",
          "[shell_words]") {
  for (std::string line : {"'abc", "a 'b c", "\"abc", "a \"b\\\"", "abc\\", "'", "\"", "\\",
                           "\"a\\\\\\\""}) {
    INFO("line: " << line);
    auto r = SplitShellWords(line);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
    CHECK_FALSE(r.error().message.empty());
  }
  CHECK(ms_test::Contains(SplitShellWords("'abc").error().message, "single quote"));
  CHECK(ms_test::Contains(SplitShellWords("\"abc").error().message, "double quote"));
  CHECK(ms_test::Contains(SplitShellWords("abc\\").error().message, "backslash"));
}

TEST_CASE("QuoteShellWord leaves plain words alone", "[shell_words]") {
  CHECK(QuoteShellWord("demo") == "demo");
  CHECK(QuoteShellWord("config:set") == "config:set");
  CHECK(QuoteShellWord("a-b_c.d/e@f%g+h,i") == "a-b_c.d/e@f%g+h,i");
  CHECK(QuoteShellWord("") == "''");
  CHECK(QuoteShellWord("a b") != "a b");
}

TEST_CASE("QuoteShellWord round-trips through SplitShellWords byte for byte", "[shell_words]") {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  const std::vector<std::string> samples = {
      "",
      " ",
      "  two  spaces  ",
      "a b",
      "'",
      "''",
      "\"",
      "it's \"quoted\"",
      "A=B",
      "=",
      "a=b=c",
      "$HOME",
      "${PATH}:$(rm -rf /)",
      "`id`",
      "line1\nline2\n",
      "\n",
      "tab\there",
      "back\\slash\\",
      "\\",
      "\\'",
      "--json",
      "-h",
      "#comment",
      "h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xF0\x9F\x9A\x80",
      "postgres://user:p@ss w'rd@host:5432/db?sslmode=require",
      std::string("nul\0byte", 8),
      all_bytes,
  };
  for (const auto& s : samples) {
    std::string quoted = QuoteShellWord(s);
    INFO("word: " << s << "\nquoted: " << quoted);
    auto words = SplitShellWords(quoted);
    REQUIRE_OK(words);
    REQUIRE(words->size() == 1);
    CHECK((*words)[0] == s);
  }

  // Several quoted words on one line come back as the same argv.
  std::string line = "config:set demo";
  std::vector<std::string> expected = {"config:set", "demo"};
  for (const auto& s : samples) {
    line += " " + QuoteShellWord("K=" + s);
    expected.push_back("K=" + s);
  }
  auto words = SplitShellWords(line);
  REQUIRE_OK(words);
  CHECK(*words == expected);
}

TEST_CASE("QuoteShellWord round-trips random strings", "[shell_words]") {
  const std::string alphabet = std::string("aZ09 \t\n'\"\\$`=;&|<>(){}[]*?!#~%-_.:/@,+") +
                               "\xC3\xA9\xE2\x9C\x93" + std::string(1, '\0') + "\x7f\x01";
  std::mt19937 rng(12345);
  std::uniform_int_distribution<size_t> len(0, 24), pick(0, alphabet.size() - 1);
  for (int i = 0; i < 500; ++i) {
    std::string s;
    for (size_t n = len(rng); n > 0; --n) s.push_back(alphabet[pick(rng)]);
    auto words = SplitShellWords(QuoteShellWord(s));
    INFO("word: " << s);
    REQUIRE_OK(words);
    REQUIRE(words->size() == 1);
    REQUIRE((*words)[0] == s);
  }
}
