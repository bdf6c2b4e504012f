#include "server/config/settings.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "test_helpers.h"

using ms_test::Contains;
using ms_test::TempDir;
namespace fs = std::filesystem;

namespace {

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  REQUIRE(f.good());
}

std::string ReadFile(const fs::path& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

ms::Settings Valid() {
  ms::Settings s;
  s.data_dir = "/nonexistent";
  return s;
}

}  // namespace

TEST_CASE("SaveSettings then LoadSettings gives the same settings", "[settings]") {
  TempDir dir;
  ms::Settings s;
  s.data_dir = dir.path();
  s.listen_address = "127.0.0.1";
  s.ssh_port = 2022;
  s.domain = "apps.example.com";
  s.host_key = "keys/host_ed25519";
  s.auto_create_apps = false;
  s.ssh_auth_timeout_seconds = 7;
  s.ssh_idle_timeout_seconds = 1234;
  s.ssh_max_connections = 3;
  REQUIRE_OK(ms::SaveSettings(s));

  CHECK(fs::exists(s.ConfigPath()));
  CHECK_FALSE(fs::exists(dir.path() / "config.yaml.tmp"));
  CHECK(Contains(ReadFile(s.ConfigPath()), "#"));  // documented with comments

  auto loaded = ms::LoadSettings(dir.path());
  REQUIRE_OK(loaded);
  CHECK(loaded->data_dir == dir.path());
  CHECK(loaded->listen_address == "127.0.0.1");
  CHECK(loaded->ssh_port == 2022);
  CHECK(loaded->domain == "apps.example.com");
  CHECK(loaded->host_key == "keys/host_ed25519");
  CHECK(loaded->auto_create_apps == false);
  CHECK(loaded->ssh_auth_timeout_seconds == 7);
  CHECK(loaded->ssh_idle_timeout_seconds == 1234);
  CHECK(loaded->ssh_max_connections == 3);
  CHECK(loaded->HostKeyPath() == dir.path() / "keys/host_ed25519");
  CHECK(loaded->DatabasePath() == dir.path() / "mothership.db");
}

TEST_CASE("SaveSettings round-trips strings YAML treats specially", "[settings]") {
  TempDir dir;
  ms::Settings s;
  s.data_dir = dir.path();
  s.listen_address = "::";
  s.host_key = "my keys/host #1: 'key' \"x\"";
  REQUIRE_OK(ms::SaveSettings(s));
  auto loaded = ms::LoadSettings(dir.path());
  REQUIRE_OK(loaded);
  CHECK(loaded->listen_address == "::");
  CHECK(loaded->host_key == s.host_key);

  // Overwriting an existing file works (the rename replaces it).
  s.ssh_port = 0;
  REQUIRE_OK(ms::SaveSettings(s));
  CHECK(ms::LoadSettings(dir.path()).value().ssh_port == 0);
}

TEST_CASE("SaveSettings fails when the data directory is missing", "[settings]") {
  TempDir dir;
  ms::Settings s;
  s.data_dir = dir.path() / "missing";
  auto r = ms::SaveSettings(s);
  REQUIRE_FALSE(r.has_value());
  CHECK(Contains(r.error().message, "cannot write"));
}

TEST_CASE("LoadSettings: missing config.yaml says to run setup", "[settings]") {
  TempDir dir;
  auto r = ms::LoadSettings(dir.path());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ms::ErrorCode::kNotFound);
  CHECK(Contains(r.error().message, "config.yaml"));
  CHECK(Contains(r.error().message, "mothershipd setup"));
  CHECK(Contains(r.error().message, dir.path().string()));
}

TEST_CASE("LoadSettings: partial and empty files fall back to defaults", "[settings]") {
  TempDir dir;
  const ms::Settings defaults;
  WriteFile(dir.path() / "config.yaml", "");
  auto empty = ms::LoadSettings(dir.path());
  REQUIRE_OK(empty);
  CHECK(empty->ssh_port == defaults.ssh_port);
  CHECK(empty->domain == defaults.domain);

  WriteFile(dir.path() / "config.yaml", "# only a comment\nssh_port: 4000\n");
  auto partial = ms::LoadSettings(dir.path());
  REQUIRE_OK(partial);
  CHECK(partial->ssh_port == 4000);
  CHECK(partial->listen_address == defaults.listen_address);
  CHECK(partial->auto_create_apps == defaults.auto_create_apps);
}

TEST_CASE("LoadSettings: an unknown key is an error naming the key", "[settings]") {
  TempDir dir;
  WriteFile(dir.path() / "config.yaml", "ssh_port: 2222\nssh_prot: 22\n");
  auto r = ms::LoadSettings(dir.path());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
  CHECK(Contains(r.error().message, "unknown setting 'ssh_prot'"));
}

TEST_CASE("LoadSettings: a value of the wrong type is an error naming the key", "[settings]") {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ssh_port: abc\n", "ssh_port"},
      {"ssh_port: 22.5\n", "ssh_port"},
      {"ssh_port: 99999999999999\n", "ssh_port"},
      {"auto_create_apps: maybe\n", "auto_create_apps"},
      {"domain: [a, b]\n", "domain"},
      {"listen_address: {a: 1}\n", "listen_address"},
      {"ssh_max_connections: lots\n", "ssh_max_connections"},
  };
  for (const auto& [yaml, key] : cases) {
    INFO("yaml: " << yaml);
    WriteFile(dir.path() / "config.yaml", yaml);
    auto r = ms::LoadSettings(dir.path());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
    CHECK(Contains(r.error().message, "'" + key + "'"));
    CHECK(Contains(r.error().message, "wrong type"));
  }
}

TEST_CASE("LoadSettings: malformed YAML and non-mappings are errors", "[settings]") {
  TempDir dir;
  for (std::string yaml : {"ssh_port: [1, 2\n", "- a\n- b\n", "just a string\n"}) {
    INFO("yaml: " << yaml);
    WriteFile(dir.path() / "config.yaml", yaml);
    auto r = ms::LoadSettings(dir.path());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
    CHECK(Contains(r.error().message, "config.yaml"));
  }
}

TEST_CASE("LoadSettings validates the values it reads", "[settings]") {
  TempDir dir;
  WriteFile(dir.path() / "config.yaml", "ssh_port: 70000\n");
  auto port = ms::LoadSettings(dir.path());
  REQUIRE_FALSE(port.has_value());
  CHECK(Contains(port.error().message, "70000"));

  WriteFile(dir.path() / "config.yaml", "domain: Bad_Domain\n");
  auto domain = ms::LoadSettings(dir.path());
  REQUIRE_FALSE(domain.has_value());
  CHECK(Contains(domain.error().message, "Bad_Domain"));
}

TEST_CASE("ValidateSettings accepts the defaults and edge values", "[settings]") {
  CHECK(ms::ValidateSettings(Valid()).has_value());
  for (int port : {0, 1, 22, 65535}) {
    auto s = Valid();
    s.ssh_port = port;
    INFO("port " << port);
    CHECK(ms::ValidateSettings(s).has_value());
  }
  for (std::string domain : std::vector<std::string>{"localhost", "apps.example.com", "a", "127.0.0.1", "x-y.z9",
                             std::string(63, 'd') + "." + std::string(63, 'e')}) {
    auto s = Valid();
    s.domain = domain;
    INFO("domain " << domain);
    CHECK(ms::ValidateSettings(s).has_value());
  }
}

TEST_CASE("ValidateSettings refuses bad ports / timeouts and domains", "[settings]") {
  for (int port : {-1, 65536, 100000}) {
    auto s = Valid();
    s.ssh_port = port;
    INFO("port " << port);
    auto r = ms::ValidateSettings(s);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
    CHECK(Contains(r.error().message, "ssh_port"));
  }
  for (std::string domain : std::vector<std::string>{"", ".example.com", "example.com.", "-example.com", "Example.com",
                             "exa mple.com", "exa_mple.com", "example.com/x", "ex\xC3\xA4mple.com",
                             std::string(201, 'd')}) {
    auto s = Valid();
    s.domain = domain;
    INFO("domain " << domain);
    auto r = ms::ValidateSettings(s);
    REQUIRE_FALSE(r.has_value());
    CHECK(Contains(r.error().message, "not a valid domain"));
  }
  {
    auto s = Valid();
    s.ssh_auth_timeout_seconds = 0;
    CHECK_FALSE(ms::ValidateSettings(s).has_value());
  }
  {
    auto s = Valid();
    s.ssh_idle_timeout_seconds = -5;
    CHECK_FALSE(ms::ValidateSettings(s).has_value());
  }
  {
    auto s = Valid();
    s.ssh_max_connections = 0;
    CHECK_FALSE(ms::ValidateSettings(s).has_value());
  }
  {
    auto s = Valid();
    s.host_key = "";
    CHECK_FALSE(ms::ValidateSettings(s).has_value());
  }
  for (double monitor : {-0.5, 3601.0, std::nan("")}) {
    auto s = Valid();
    s.update_monitor_seconds = monitor;
    INFO("update_monitor_seconds " << monitor);
    auto r = ms::ValidateSettings(s);
    REQUIRE_FALSE(r.has_value());
    CHECK(Contains(r.error().message, "update_monitor_seconds from 0 to 3600"));
  }
}


TEST_CASE("LoadSettings returns an error for a non-scalar key",
          "[regression][settings]") {
  TempDir dir;
  WriteFile(dir.path() / "config.yaml", "? [a, b]\n: 1\n");
  ms::Result<ms::Settings> r;
  REQUIRE_NOTHROW(r = ms::LoadSettings(dir.path()));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
}

TEST_CASE("LoadSettings refuses an empty setting",
          "[regression][settings]") {
  TempDir dir;
  WriteFile(dir.path() / "config.yaml", "domain:\n");
  auto r = ms::LoadSettings(dir.path());
  // A forgotten value should be an error naming the key, not domain == "null".
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
  CHECK(r.error().message.find("domain") != std::string::npos);
}
