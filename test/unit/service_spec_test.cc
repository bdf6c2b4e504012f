#include "server/runtime/service_spec.h"
#include "server/docker/engine_json.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

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
