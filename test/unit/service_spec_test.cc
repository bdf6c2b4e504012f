#include "server/runtime/service_spec.h"
#include "server/docker/engine_json.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "test/unit/test_helpers.h"

namespace {

ms::ProcessSpec Spec(const ms::Release& release, const std::string& type) {
  ms::ProcessSpec p;
  p.app = "shop";
  p.install = "abc";
  p.type = type;
  p.command = type == "web" ? "npm start" : "node worker.js";
  p.replicas = 2;
  p.release = &release;
  p.app_network = ms::AppNetworkName("shop");
  return p;
}

ms::Release Version1(const std::string& image) {
  ms::Release release;
  release.version = 1;
  release.image = image;
  return release;
}

bool HasEnv(const nlohmann::json& spec, const std::string& kv) {
  const auto& env = spec["TaskTemplate"]["ContainerSpec"]["Env"];
  return std::find(env.begin(), env.end(), kv) != env.end();
}

}  // namespace

TEST_CASE("MakeServiceSpec: web is dnsrr and start-first on its app's network only with a health check", "[runtime]") {
  ms::Release release;
  release.version = 7;
  release.image = "localhost:5000/shop:v7";
  release.config = {{"FOO", "bar baz"}};
  auto spec = ms::engine::ServiceSpecJson(ms::MakeServiceSpec(Spec(release, "web")));
  CHECK(spec["Name"] == "shop-web");
  CHECK(spec["EndpointSpec"]["Mode"] == "dnsrr");
  CHECK(spec["Mode"]["Replicated"]["Replicas"] == 2);
  CHECK(spec["UpdateConfig"]["Order"] == "start-first");
  CHECK(spec["UpdateConfig"]["Parallelism"] == 1);
  CHECK(spec["UpdateConfig"]["FailureAction"] == "rollback");
  CHECK(spec["TaskTemplate"]["RestartPolicy"]["Condition"] == "on-failure");
  CHECK(spec["TaskTemplate"]["ContainerSpec"]["Image"] == "localhost:5000/shop:v7");
  CHECK(spec["TaskTemplate"]["ContainerSpec"]["Args"] == nlohmann::json{"npm start"});
  CHECK(HasEnv(spec, "FOO=bar baz"));
  CHECK(HasEnv(spec, "PORT=5000"));
  CHECK(HasEnv(spec, "MOTHERSHIP_RELEASE=v7"));
  CHECK(HasEnv(spec, "DYNO=web.{{.Task.Slot}}"));
  CHECK(spec["Labels"]["mothership.install"] == "abc");
  const auto& nets = spec["TaskTemplate"]["Networks"];
  REQUIRE(nets.size() == 1);
  CHECK(nets[0]["Target"] == "shop-net");
  CHECK(nets[0]["Aliases"] == nlohmann::json{"web"});
  std::string check = spec["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["Test"][3];
  CHECK(check.find("/dev/tcp/127.0.0.1/$PORT") != std::string::npos);
  CHECK(check.find("GET") == std::string::npos);
  CHECK(spec["TaskTemplate"]["LogDriver"]["Options"]["max-size"] == "10m");
}

TEST_CASE("MakeServiceSpec: the update monitor in nanoseconds - 0 is 1 ns (the engine reads 0 as its 5 s)", "[runtime]") {
  ms::Release release;
  release.version = 1;
  release.image = "localhost:5000/shop:v1";
  for (auto [seconds, ns] : std::vector<std::pair<double, int64_t>>{{0.5, 500'000'000}, {2, 2'000'000'000}, {0, 1}}) {
    auto p = Spec(release, "web");
    p.update_monitor_seconds = seconds;
    INFO(seconds);
    CHECK(ms::engine::ServiceSpecJson(ms::MakeServiceSpec(p))["UpdateConfig"]["Monitor"] == ns);
  }
  CHECK(ms::engine::ServiceSpecJson(ms::MakeServiceSpec(Spec(release, "web")))["UpdateConfig"]["Monitor"] == 500'000'000);
}

TEST_CASE("MakeServiceSpec: an empty command runs the image's own CMD (a Dockerfile app with no Procfile)", "[runtime]") {
  ms::Release release = Version1("localhost:5000/shop:v1");
  auto p = Spec(release, "web");
  p.command = "";
  auto spec = ms::engine::ServiceSpecJson(ms::MakeServiceSpec(p));
  CHECK_FALSE(spec["TaskTemplate"]["ContainerSpec"].contains("Args"));
  CHECK(spec["TaskTemplate"]["ContainerSpec"]["Image"] == "localhost:5000/shop:v1");
}

TEST_CASE("MakeServiceSpec: an HTTP check path - workers have no check", "[runtime]") {
  ms::Release release = Version1("r/shop:v1");
  auto p = Spec(release, "web");
  p.check_path = "/health";
  std::string check = ms::engine::ServiceSpecJson(ms::MakeServiceSpec(p))["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["Test"][3];
  CHECK(check.find("GET /health HTTP/1.0") != std::string::npos);
  auto worker = ms::engine::ServiceSpecJson(ms::MakeServiceSpec(Spec(release, "worker")));
  CHECK(worker["Name"] == "shop-worker");
  CHECK_FALSE(worker["TaskTemplate"]["ContainerSpec"].contains("Healthcheck"));
  CHECK(worker["TaskTemplate"]["Networks"].size() == 1);
}

TEST_CASE("IsCheckPath accepts URL paths and refuses what a shell would read", "[runtime]") {
  for (std::string ok : {"/", "/health", "/api/v1/ping?full=1"}) CHECK(ms::IsCheckPath(ok));
  for (std::string bad : std::vector<std::string>{"", "health", "/a b", "/a'b", "/a\"b", "/a\\b", "/%s", std::string(201, '/')}) {
    CHECK_FALSE(ms::IsCheckPath(bad));
  }
}

TEST_CASE("MakeServiceSpec: no capabilities - config values that look like Swarm templates stay as they are",
          "[runtime]") {
  ms::Release release;
  release.version = 1;
  release.image = "localhost:5000/shop:v1";
  release.config = {{"HOST", "{{.Node.Hostname}}"}, {"JSON", "{\"a\":{\"b\":1}}"}, {"BRACES", "x{{{y}}"}};
  auto spec = ms::MakeServiceSpec(Spec(release, "web"));
  CHECK(spec.cap_drop == std::vector<std::string>{"ALL"});
  auto json = ms::engine::ServiceSpecJson(spec);
  CHECK(json["TaskTemplate"]["ContainerSpec"]["CapabilityDrop"] == nlohmann::json::array({"ALL"}));
  const auto& env = spec.env;
  CHECK(std::find(env.begin(), env.end(), "HOST={{\"{{\"}}.Node.Hostname}}") != env.end());
  CHECK(std::find(env.begin(), env.end(), "JSON={\"a\":{\"b\":1}}") != env.end());
  CHECK(std::find(env.begin(), env.end(), "BRACES=x{{\"{{\"}}{y}}") != env.end());
  // Ours, which is meant as a template, is not escaped.
  CHECK(std::find(env.begin(), env.end(), "DYNO=web.{{.Task.Slot}}") != env.end());
  CHECK(ms::EscapeSwarmTemplate("plain") == "plain");
  CHECK(ms::EscapeSwarmTemplate("{{{{") == "{{\"{{\"}}{{\"{{\"}}");
}

namespace {

// Runs a health check's script with bash as the engine would (PORT set); its
// exit status.
int RunCheck(const std::string& script, uint16_t port) {
  std::string port_env = "PORT=" + std::to_string(port);
  const char* argv[] = {"bash", "-c", script.c_str(), nullptr};
  const char* envp[] = {port_env.c_str(), "PATH=/usr/bin:/bin", nullptr};
  pid_t pid = 0;
  posix_spawn_file_actions_t quiet;  // (a refused connection says so on stderr)
  posix_spawn_file_actions_init(&quiet);
  posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
  int spawned = posix_spawnp(&pid, "bash", &quiet, nullptr, const_cast<char**>(argv), const_cast<char**>(envp));
  posix_spawn_file_actions_destroy(&quiet);
  REQUIRE(spawned == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A listening socket on 127.0.0.1:port (0: any free one, set in port).
int Listen(uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  port = ntohs(a.sin_port);
  return fd;
}

std::string Slurp(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string text;
  std::getline(in, text);
  return text;
}

}  // namespace

TEST_CASE("The web health check runs at once until the task answers, then sleeps 5 s first - after a failure 2 s",
          "[runtime]") {
  ms::Release release = Version1("localhost:5000/shop:v1");
  auto spec = ms::MakeServiceSpec(Spec(release, "web"));
  REQUIRE(spec.health_check);
  CHECK(spec.health_check->interval_ns == 100'000'000);
  CHECK(spec.health_check->timeout_ns == 10'000'000'000);
  std::string script = spec.health_check->test.at(3);
  // The marker in a directory of the test's own; the sleeps said instead of slept.
  ms_test::TempDir dir;
  const auto marker = dir.path() / "marker";
  const auto slept = dir.path() / "slept";
  auto at = script.find("/dev/shm/.mothership-check");
  REQUIRE(at != std::string::npos);
  script.replace(at, std::strlen("/dev/shm/.mothership-check"), marker.string());
  at = script.find("sleep ");
  REQUIRE(at != std::string::npos);
  script.replace(at, std::strlen("sleep "), "echo >> " + slept.string() + " ");

  uint16_t port = 0;
  int listener = Listen(port);
  ::close(listener);
  // Not listening yet: fails at once, no marker (the next check runs 100 ms later).
  CHECK(RunCheck(script, port) == 1);
  CHECK_FALSE(std::filesystem::exists(marker));
  CHECK_FALSE(std::filesystem::exists(slept));
  // Listening: healthy at once; from now on each check first sleeps 5 s.
  listener = Listen(port);
  CHECK(RunCheck(script, port) == 0);
  CHECK(Slurp(marker) == "5");
  CHECK_FALSE(std::filesystem::exists(slept));
  CHECK(RunCheck(script, port) == 0);
  CHECK(Slurp(slept) == "5");
  // Gone: failed, and the next checks sleep 2 s (three failures: 4.5 s, as before).
  ::close(listener);
  CHECK(RunCheck(script, port) == 1);
  CHECK(Slurp(marker) == "2");
  listener = Listen(port);
  CHECK(RunCheck(script, port) == 0);
  CHECK(Slurp(marker) == "5");
  ::close(listener);
}
