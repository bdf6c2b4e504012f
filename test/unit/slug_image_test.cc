#include "server/builder/slug_image.h"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <fstream>
#include <sstream>
#include <string>

#include "server/common/base64.h"
#include "server/common/sha256.h"
#include "test_helpers.h"

using ms_test::TempDir;

namespace {

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Gunzip(const std::string& gz) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string result;
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    result.append(out.data(), out.size() - z.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&z);
  return result;
}

}  // namespace

TEST_CASE("Sha256 gives the standard digests", "[image]") {
  CHECK(ms::Sha256::Digest("") == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(ms::Sha256::Digest("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ms::Sha256 h;
  h.Update("a");
  h.Update("bc");
  CHECK(h.HexDigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Base64Decode reads padded base64 and refuses anything else", "[image]") {
  CHECK(ms::Base64Decode("") == std::string());
  CHECK(ms::Base64Decode("TQ==") == std::string("M"));
  CHECK(ms::Base64Decode("TWE=") == std::string("Ma"));
  CHECK(ms::Base64Decode("TWFu") == std::string("Man"));
  CHECK(ms::Base64Decode("AP8A") == std::string("\x00\xff\x00", 3));
  CHECK_FALSE(ms::Base64Decode("TWF"));
  CHECK_FALSE(ms::Base64Decode("TW=u"));
  CHECK_FALSE(ms::Base64Decode("T=Fu"));
  CHECK_FALSE(ms::Base64Decode("TWFu\n"));
  CHECK_FALSE(ms::Base64Decode("TW*u"));
}

TEST_CASE("CompressLayer gzips a layer and digests both forms", "[image]") {
  TempDir dir;
  for (size_t size : {size_t{0}, size_t{10}, size_t{3} << 20}) {
    std::string data;
    for (size_t i = 0; i < size; ++i) data.push_back(static_cast<char>((i * 7919) % 251));
    std::ofstream(dir.path() / "layer.tar", std::ios::binary) << data;
    auto layer = ms::CompressLayer(dir.path() / "layer.tar", dir.path() / "layer.tar.gz");
    REQUIRE(layer);
    std::string gz = ReadAll(dir.path() / "layer.tar.gz");
    CHECK(layer->size == gz.size());
    CHECK(layer->digest == ms::Sha256::Digest(gz));
    CHECK(layer->diff_id == ms::Sha256::Digest(data));
    CHECK(Gunzip(gz) == data);
  }
  CHECK_FALSE(ms::CompressLayer(dir.path() / "missing.tar", dir.path() / "x.gz"));
}
