#include "server/common/tar_reader.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <sstream>

#include "test_helpers.h"

namespace {

// One 512-byte header record: name, the size field as written, type; then
// `data` padded to a record.
std::string Entry(std::string_view name, std::string_view size_field, char type, std::string_view data) {
  std::string header(512, '\0');
  std::memcpy(header.data(), name.data(), name.size());
  std::memcpy(header.data() + 124, size_field.data(), size_field.size());
  header[156] = type;
  std::string padded(data);
  padded.resize((data.size() + 511) / 512 * 512, '\0');
  return header + padded;
}

ms::Result<std::map<std::string, std::string>> Read(const std::string& archive, size_t max_bytes = 1 << 20) {
  std::istringstream in(archive);
  return ms::ReadTarFiles(in, "out.tar", max_bytes);
}

}  // namespace

TEST_CASE("ReadTarFiles reads regular files from a stream", "[tar_reader]") {
  std::string name(120, 'x');
  auto files = Read(Entry("./out/Procfile", "00000000024", '0', "web: node server.js\n") +
                    Entry("out/dir/", "00000000000", '5', "") +
                    Entry("././@LongLink", "00000000171", 'L', name) + Entry("short", "00000000002", '0', "hi") +
                    std::string(1024, '\0'));
  REQUIRE_OK(files);
  CHECK(*files == std::map<std::string, std::string>{{"out/Procfile", "web: node server.js\n"}, {name, "hi"}});
}

TEST_CASE("ReadTarFiles refuses files over max_bytes, whatever their size fields say", "[tar_reader]") {
  CHECK_FALSE(Read(Entry("a", "00000000010", '0', "12345678"), 7).has_value());
  // A negative size once wrapped the running total back under the limit, and
  // the reader then threw (std::length_error) making room for 2^64 - 5 bytes.
  auto wrapped = Read(Entry("a", "5", '0', "12345") + Entry("b", "-5", '0', ""));
  REQUIRE_FALSE(wrapped.has_value());
  CHECK(wrapped.error().message == "out.tar is larger than expected");
}
