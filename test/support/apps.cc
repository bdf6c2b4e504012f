#include "test/support/apps.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <random>

#include "server/docker/engine_docker_client.h"

namespace ms::test {

TestServer BuildServer(const std::function<void(Settings&)>& configure) {
  TestServerOptions options;
  options.build = true;
  options.configure = [configure](ms::Settings& s) {
    s.registry = "localhost:5000";
    if (configure) configure(s);
  };
  return TestServer(options);
}

std::string Unique(const std::string& base) {
  static std::random_device rd;
  return fmt::format("{}-{:06x}", base, rd() & 0xffffff);
}

std::filesystem::path SampleRepo(TestServer& s, const std::string& name) {
  auto repo = s.dir() / ("src-" + name);
  std::filesystem::copy(std::filesystem::path(MOTHERSHIP_SOURCE_DIR) / "test" / "apps" / name, repo,
                        std::filesystem::copy_options::recursive);
  REQUIRE(s.Git({"init", "-q", "-b", "main"}, repo).exit_code == 0);
  REQUIRE(s.Git({"add", "-A"}, repo).exit_code == 0);
  REQUIRE(s.Git({"commit", "-q", "-m", "sample " + name}, repo).exit_code == 0);
  return repo;
}

std::string Push(TestServer& s, const std::filesystem::path& repo, const std::string& app, RunResult* out) {
  auto push = s.Git({"push", s.Url(app), "main"}, repo);
  INFO(push.Both());
  if (out) *out = push;
  REQUIRE(push.exit_code == 0);
  CHECK(push.err.find("remote: -----> Released v") != std::string::npos);
  return push.err;
}

std::string RunOnNetwork(const std::string& network, const std::string& script) {
  EngineDockerClient docker;
  ContainerSpec spec;
  spec.image = "mothership/run:bookworm";
  spec.cmd = {script};  // the image's entrypoint runs it with bash
  spec.labels = {{"mothership.role", "test"}};
  spec.network_mode = network;
  auto id = docker.CreateContainer(spec);
  REQUIRE(id);
  std::string out;
  auto attached = docker.Attach(
      *id, -1,
      [&](int, std::string_view data) {
        out.append(data);
        return true;
      },
      false, nullptr);
  (void)docker.WaitContainer(*id);
  (void)docker.RemoveContainer(*id);
  REQUIRE(attached);
  return out;
}

std::string HttpGet(const std::string& network, const std::string& host) {
  return RunOnNetwork(network, fmt::format("exec 3<>/dev/tcp/{}/5000 && printf 'GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' >&3 "
                                           "&& timeout 10 cat <&3 | tail -n 1",
                                           host));
}

}  // namespace ms::test
