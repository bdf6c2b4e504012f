#include "server/registry/registry_credentials.h"

#include <catch2/catch.hpp>
#include <crypt.h>
#include <sys/stat.h>

#include <fstream>

#include "server/common/base64.h"
#include "test_helpers.h"

using ms_test::TempDir;

namespace {

std::string FirstLine(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

unsigned Mode(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("a registry named by loopback listens there without credentials, any other on every interface", "[registry]") {
  CHECK(ms::RegistryOnLoopback("localhost:5000"));
  CHECK(ms::RegistryOnLoopback("LocalHost:5001"));
  CHECK(ms::RegistryOnLoopback("127.0.0.1:5000"));
  CHECK_FALSE(ms::RegistryOnLoopback("127.0.0.2:5000"));
  CHECK_FALSE(ms::RegistryOnLoopback("10.0.0.5:5000"));
  CHECK_FALSE(ms::RegistryOnLoopback("registry.example.com:5000"));
  CHECK(ms::RegistryListenAddress("localhost:5000") == "127.0.0.1:5000");
  CHECK(ms::RegistryListenAddress("localhost") == "127.0.0.1:5000");
  CHECK(ms::RegistryListenAddress("10.0.0.5:5001") == "0.0.0.0:5001");
}

TEST_CASE("setup makes the registry's credentials once, private, with a bcrypt hash of the password", "[registry]") {
  TempDir dir;
  auto made = ms::EnsureRegistryCredentials(dir.path() / "registry");
  REQUIRE(made);
  CHECK(made->username == "mothership");
  CHECK(made->password.size() == 48);
  CHECK(Mode(dir.path() / "registry" / "credentials") == 0600);
  CHECK(Mode(dir.path() / "registry" / "htpasswd") == 0600);
  CHECK(FirstLine(dir.path() / "registry" / "credentials") == "mothership:" + made->password);

  // The registry's htpasswd line verifies the password (and no other).
  std::string line = FirstLine(dir.path() / "registry" / "htpasswd");
  REQUIRE(line.starts_with("mothership:$2b$10$"));
  std::string hash = line.substr(line.find(':') + 1);
  crypt_data data{};
  CHECK(std::string(crypt_rn(made->password.c_str(), hash.c_str(), &data, sizeof data)) == hash);
  crypt_data other{};
  CHECK(std::string(crypt_rn("not-it", hash.c_str(), &other, sizeof other)) != hash);

  // Setup again keeps them; the daemon loads the same.
  auto again = ms::EnsureRegistryCredentials(dir.path() / "registry");
  REQUIRE(again);
  CHECK(again->password == made->password);
  CHECK(FirstLine(dir.path() / "registry" / "htpasswd") == line);
  auto loaded = ms::LoadRegistryCredentials("10.0.0.5:5000", dir.path() / "registry");
  REQUIRE(loaded);
  REQUIRE(*loaded);
  CHECK((*loaded)->password == made->password);
  CHECK(ms::BasicAuthorization(**loaded) ==
        "Basic " + ms::Base64Encode("mothership:" + made->password));
}

TEST_CASE("the daemon needs no credentials for a loopback registry and says to run setup when others are missing", "[registry]") {
  TempDir dir;
  auto loopback = ms::LoadRegistryCredentials("localhost:5000", dir.path());
  REQUIRE(loopback);
  CHECK_FALSE(*loopback);
  auto missing = ms::LoadRegistryCredentials("10.0.0.5:5000", dir.path());
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("the registry 10.0.0.5:5000 listens beyond loopback and needs credentials") !=
        std::string::npos);
  CHECK(missing.error().message.find("run `mothershipd setup`") != std::string::npos);
}

TEST_CASE("Base64Encode writes padded standard or URL-safe base64 that Base64Decode reads back", "[registry]") {
  CHECK(ms::Base64Encode("") == "");
  CHECK(ms::Base64Encode("M") == "TQ==");
  CHECK(ms::Base64Encode("Ma") == "TWE=");
  CHECK(ms::Base64Encode("Man") == "TWFu");
  CHECK(ms::Base64Encode("{}") == "e30=");
  CHECK(ms::Base64Encode("\xfb\xff") == "+/8=");
  CHECK(ms::Base64Encode("\xfb\xff", true) == "-_8=");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  CHECK(ms::Base64Decode(ms::Base64Encode(all)) == all);
}
