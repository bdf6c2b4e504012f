// Where buildpacks may come from (issue 15, item 1), and fetching them with a
// time budget and a size cap.

#include "server/builder/buildpack_source.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "server/builder/buildpack_fetcher.h"
#include "test_helpers.h"

using ms::BuildpackKind;
using ms::ParseBuildpackSource;
using ms_test::Contains;

namespace {

const std::vector<std::string> kBundled = {"nodejs", "python"};

std::string ErrorOf(const std::string& spec, const std::vector<std::string>& local = {}) {
  auto r = ParseBuildpackSource(spec, kBundled, local);
  return r ? "" : r.error().message;
}

// A git repository with one commit, tagged v1, in dir.
void MakeRepo(const std::filesystem::path& dir, const std::string& file_text) {
  std::filesystem::create_directories(dir / "bin");
  std::ofstream(dir / "bin" / "detect") << file_text;
  std::string script = "cd '" + dir.string() +
                       "' && git init -q -b main && git add -A && git -c user.name=t -c user.email=t@t "
                       "commit -qm one && git tag v1";
  REQUIRE(std::system(script.c_str()) == 0);
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("ParseBuildpackSource: bundled names, https URLs with a ref", "[buildpack_source]") {
  auto bundled = ParseBuildpackSource("heroku/nodejs", kBundled, {});
  REQUIRE(bundled);
  CHECK(bundled->kind == BuildpackKind::kBundled);
  CHECK(bundled->name == "nodejs");
  auto remote = ParseBuildpackSource("https://github.com/heroku/heroku-buildpack-go.git#v200", kBundled, {});
  REQUIRE(remote);
  CHECK(remote->kind == BuildpackKind::kRemote);
  CHECK(remote->url == "https://github.com/heroku/heroku-buildpack-go.git");
  CHECK(remote->ref == "v200");
  CHECK(ms::UrlHost("https://user@git.example.com:8443/x.git") == "git.example.com");
  CHECK(ms::UrlHost("https://[::1]:8443/x.git") == "::1");
}

TEST_CASE("ParseBuildpackSource: paths on the server only under local_buildpacks - other schemes refused",
          "[buildpack_source]") {
  // The holes of issue 15: a directory of the server, another app's repository.
  for (const char* spec : {"/etc", "file:///var/lib/mothership/repos/other.git", "/srv/buildpacks/../../etc"}) {
    INFO(spec);
    CHECK(Contains(ErrorOf(spec, {"/srv/buildpacks"}),
                   "is a path on the server: buildpacks come from https:// git URLs, or from directories an admin "
                   "lists in local_buildpacks in config.yaml (/srv/buildpacks)"));
  }
  CHECK(Contains(ErrorOf("/etc"), "local_buildpacks in config.yaml (there are none)"));
  auto local = ParseBuildpackSource("file:///srv/buildpacks/mine#v1", kBundled, {"/srv/buildpacks"});
  REQUIRE(local);
  CHECK(local->kind == BuildpackKind::kLocal);
  CHECK(local->path == "/srv/buildpacks/mine");
  CHECK(local->ref == "v1");

  for (const char* spec : {"http://example.com/x.git", "git://example.com/x.git", "ssh://git@example.com/x.git",
                           "git@example.com:x.git"}) {
    INFO(spec);
    CHECK(Contains(ErrorOf(spec), "buildpacks are fetched over https:// only"));
  }
  CHECK(Contains(ErrorOf("ruby"), "'ruby' is not a buildpack: use a bundled buildpack (nodejs, python) or a git URL"));
  CHECK(Contains(ErrorOf("https://example.com/x.git#--upload-pack=sh"), "cannot start with '-'"));
  CHECK(Contains(ErrorOf("https://example.com/a b"), "is not a buildpack"));
}

TEST_CASE("CheckBuildpackHost: loopback, link-local and metadata hosts are refused", "[buildpack_source]") {
  for (const char* url : {"https://localhost/x.git", "https://127.0.0.1:5000/x.git", "https://169.254.169.254/x.git",
                          "https://[::1]/x.git", "https://0.0.0.0/x.git", "https://registry.localhost/x.git"}) {
    INFO(url);
    auto source = ParseBuildpackSource(url, kBundled, {});
    REQUIRE(source);
    auto r = ms::CheckBuildpackHost(*source);
    REQUIRE_FALSE(r.has_value());
    CHECK(Contains(r.error().message, "its host is this machine"));
  }
  CHECK(ms::CheckBuildpackHost(*ParseBuildpackSource("https://10.1.2.3/x.git", kBundled, {})).has_value());
}

TEST_CASE("BuildpackFetcher: a local repository at a tag - once - a missing ref says so", "[buildpack_source]") {
  ms_test::TempDir dir;
  MakeRepo(dir.path() / "packs" / "mine", "#!/bin/sh\necho Mine\n");
  ms::BuildpackFetcher fetcher(dir.path() / "cache", {});
  auto source = ParseBuildpackSource("file://" + (dir.path() / "packs" / "mine").string() + "#v1", kBundled,
                                     {(dir.path() / "packs").string()});
  REQUIRE(source);
  bool fresh = false;
  auto fetched = fetcher.Fetch(*source, &fresh);
  INFO((fetched ? "" : fetched.error().message));
  REQUIRE(fetched);
  CHECK(fresh);
  CHECK(Slurp(*fetched / "bin" / "detect") == "#!/bin/sh\necho Mine\n");
  CHECK_FALSE(std::filesystem::exists(*fetched / ".git"));
  REQUIRE(fetcher.Fetch(*source, &fresh));
  CHECK_FALSE(fresh);

  source->ref = "v9";
  auto missing = fetcher.Fetch(*source);
  REQUIRE_FALSE(missing.has_value());
  CHECK(Contains(missing.error().message, "has no branch, tag or commit 'v9'"));
}

TEST_CASE("BuildpackFetcher: over buildpack_max_mb is refused - nothing is kept", "[buildpack_source]") {
  ms_test::TempDir dir;
  MakeRepo(dir.path() / "packs" / "big", std::string(3 << 20, 'x'));
  ms::BuildpackFetcher fetcher(dir.path() / "cache", {.timeout_seconds = 60, .max_bytes = 1 << 20});
  auto source = ParseBuildpackSource((dir.path() / "packs" / "big").string(), kBundled, {(dir.path() / "packs").string()});
  REQUIRE(source);
  auto r = fetcher.Fetch(*source);
  REQUIRE_FALSE(r.has_value());
  CHECK(Contains(r.error().message, "is bigger than 1 MB (buildpack_max_mb)"));
  size_t left = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() / "cache")) left += e.exists() ? 1 : 0;
  CHECK(left == 0);
}

TEST_CASE("BuildpackFetcher: a server that never answers is given up at the time budget", "[buildpack_source]") {
  // Accepts and says nothing (the TLS handshake never comes).
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 8) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  ms_test::TempDir dir;
  ms::BuildpackFetcher fetcher(dir.path() / "cache", {.timeout_seconds = 2, .max_bytes = 1 << 20});
  auto source = ParseBuildpackSource(fmt::format("https://127.0.0.1:{}/slow.git", ntohs(addr.sin_port)), kBundled, {});
  REQUIRE(source);
  auto r = fetcher.Fetch(*source);
  ::close(listener);
  REQUIRE_FALSE(r.has_value());
  CHECK(Contains(r.error().message, "took longer than 2 s (buildpack_fetch_timeout_seconds)"));
}
