#include "server/commands/table.h"

#include <catch2/catch.hpp>

using ms::FormatTable;

TEST_CASE("FormatTable aligns columns two spaces apart", "[table]") {
  std::string out = FormatTable({"NAME", "ROLE", "FINGERPRINT"},
                                {{"alice", "admin", "SHA256:aaa"},
                                 {"bob", "developer", "SHA256:b"},
                                 {"christopher", "developer", "SHA256:cccccc"}});
  CHECK(out ==
        "NAME         ROLE       FINGERPRINT\n"
        "alice        admin      SHA256:aaa\n"
        "bob          developer  SHA256:b\n"
        "christopher  developer  SHA256:cccccc\n");
}

TEST_CASE("FormatTable sizes columns by the header when it is widest", "[table]") {
  CHECK(FormatTable({"LONG HEADER", "X"}, {{"a", "b"}}) ==
        "LONG HEADER  X\n"
        "a            b\n");
}

TEST_CASE("FormatTable with no rows prints the header only", "[table]") {
  CHECK(FormatTable({"NAME", "BRANCH"}, {}) == "NAME  BRANCH\n");
}

TEST_CASE("FormatTable does not leave trailing blanks", "[table]") {
  std::string out = FormatTable({"A", "B", "C"}, {{"1", "2", ""}, {"x", "", ""}});
  CHECK(out ==
        "A  B  C\n"
        "1  2\n"
        "x\n");
  CHECK(out.find(" \n") == std::string::npos);
}

TEST_CASE("FormatTable handles empty cells and short or long rows", "[table]") {
  // A missing cell counts as empty; extra cells beyond the headers are ignored.
  std::string out = FormatTable({"A", "B", "C"}, {{"1", "", "3"}, {"only"}, {"p", "q", "r", "extra"}});
  CHECK(out ==
        "A     B  C\n"
        "1        3\n"
        "only\n"
        "p     q  r\n");
}

TEST_CASE("FormatTable: every line has its columns at the same offsets", "[table]") {
  std::vector<std::vector<std::string>> rows = {
      {"demo", "main", "1234567 succeeded", "2024-01-01T00:00:00.000Z"},
      {"a-much-longer-app-name", "-", "-", "2024-01-02T00:00:00.000Z"},
      {"x", "master", "abcdef0 failed", "2024-01-03T00:00:00.000Z"},
  };
  std::string out = FormatTable({"NAME", "BRANCH", "LAST DEPLOY", "CREATED"}, rows);
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(out.substr(start, nl - start));
  }
  REQUIRE(lines.size() == 4);
  size_t branch = lines[0].find("BRANCH");
  size_t last = lines[0].find("LAST DEPLOY");
  size_t created = lines[0].find("CREATED");
  CHECK(branch == std::string("a-much-longer-app-name").size() + 2);
  for (size_t i = 0; i < rows.size(); ++i) {
    INFO("line: " << lines[i + 1]);
    CHECK(lines[i + 1].substr(0, rows[i][0].size()) == rows[i][0]);
    CHECK(lines[i + 1].substr(branch, rows[i][1].size()) == rows[i][1]);
    CHECK(lines[i + 1].substr(last, rows[i][2].size()) == rows[i][2]);
    CHECK(lines[i + 1].substr(created) == rows[i][3]);
  }
}
