// The Engine API's JSON read into types and written from them (server/docker/engine_json.h).

#include "server/docker/engine_json.h"

#include <catch2/catch.hpp>

using nlohmann::json;

namespace {

json ServiceDoc() {
  return json::parse(R"J({
    "ID": "svc1", "Version": {"Index": 42},
    "Spec": {"Name": "shop-web", "Labels": {"mothership.app": "shop", "mothership.process": "web"},
             "TaskTemplate": {"ContainerSpec": {"Image": "r/shop:v3", "Args": ["npm start"],
                                                "Labels": {"mothership.release": "v3"}},
                              "ForceUpdate": 4},
             "Mode": {"Replicated": {"Replicas": 2}}},
    "UpdateStatus": {"State": "rollback_started", "Message": "update rolled back"}
  })J");
}

}  // namespace

TEST_CASE("ParseService reads id, version, labels, container, replicas and update status", "[docker]") {
  auto s = ms::engine::ParseService(ServiceDoc());
  CHECK(s.id == "svc1");
  CHECK(s.name == "shop-web");
  CHECK(s.version == 42);
  CHECK(s.Label("mothership.app") == "shop");
  CHECK(s.Label("missing").empty());
  CHECK(s.image == "r/shop:v3");
  CHECK(s.args == std::vector<std::string>{"npm start"});
  CHECK(s.container_labels.at("mothership.release") == "v3");
  CHECK(s.replicas == 2);
  CHECK_FALSE(s.global);
  CHECK(s.force_update == 4);
  CHECK(s.update_state == "rollback_started");
  CHECK(s.update_message == "update rolled back");
}

TEST_CASE("ParseService: a global service, never updated", "[docker]") {
  auto s = ms::engine::ParseService(json::parse(R"J({"ID": "p", "Spec": {"Name": "proxy", "Mode": {"Global": {}}}})J"));
  CHECK(s.global);
  CHECK(s.replicas == 0);
  CHECK(s.update_state.empty());
  CHECK(s.version == 0);
}

TEST_CASE("ParseService: mistyped members read as empty instead of throwing", "[docker]") {
  auto s = ms::engine::ParseService(json::parse(
      R"J({"ID": 7, "Version": "x", "Spec": {"Name": ["a"], "Labels": {"a": 1, "b": "ok"}, "Mode": []}})J"));
  CHECK(s.id.empty());
  CHECK(s.version == 0);
  CHECK(s.name.empty());
  CHECK(s.labels == ms::Labels{{"b", "ok"}});
  CHECK(s.replicas == 0);
}

TEST_CASE("ParseService of something that is not an object is empty", "[docker]") {
  for (const auto& doc : {json(nullptr), json::array(), json("text"), json(3),
                          json::parse("{oops", nullptr, false)}) {
    auto s = ms::engine::ParseService(doc);
    CHECK(s.id.empty());
    CHECK(s.labels.empty());
  }
}

TEST_CASE("ParseTask reads slot, node, states, error, release and force update", "[docker]") {
  auto t = ms::engine::ParseTask(json::parse(R"J({
    "ID": "t1", "ServiceID": "svc1", "Slot": 3, "NodeID": "n1", "DesiredState": "running",
    "UpdatedAt": "2026-01-01T00:00:02Z",
    "Status": {"State": "failed", "Err": "task: non-zero exit (1)", "Message": "started",
               "Timestamp": "2026-01-01T00:00:01Z"},
    "Spec": {"ContainerSpec": {"Image": "r/shop:v3", "Labels": {"mothership.release": "v3"}}, "ForceUpdate": 2}
  })J"));
  CHECK(t.id == "t1");
  CHECK(t.service_id == "svc1");
  CHECK(t.slot == 3);
  CHECK(t.node_id == "n1");
  CHECK(t.state == "failed");
  CHECK(t.desired_state == "running");
  CHECK(t.error == "task: non-zero exit (1)");
  CHECK(t.Why() == "task: non-zero exit (1)");
  CHECK(t.timestamp == "2026-01-01T00:00:01Z");
  CHECK(t.updated_at == "2026-01-01T00:00:02Z");
  CHECK(t.image == "r/shop:v3");
  CHECK(t.release == "v3");
  CHECK(t.force_update == 2);
  CHECK(t.addresses.empty());
}

TEST_CASE("ParseTask reads the task's address on each network it is attached to", "[docker]") {
  auto t = ms::engine::ParseTask(json::parse(R"J({
    "ID": "t1", "Status": {"State": "running"},
    "NetworksAttachments": [
      {"Network": {"Spec": {"Name": "shop-net"}}, "Addresses": ["10.0.3.7/24"]},
      {"Network": {"Spec": {"Name": "ingress"}}, "Addresses": []},
      {"Network": {"Spec": {}}, "Addresses": ["10.0.9.1/24"]},
      {"Network": {"Spec": {"Name": "odd"}}, "Addresses": [7]},
      "not an object"
    ]
  })J"));
  CHECK(t.addresses == std::map<std::string, std::string>{{"shop-net", "10.0.3.7"}});
}

TEST_CASE("TaskInfo::Why falls back to the status message when there is no error", "[docker]") {
  auto t = ms::engine::ParseTask(json::parse(R"J({"Status": {"State": "rejected", "Message": "no suitable node"}})J"));
  CHECK(t.Why() == "no suitable node");
  CHECK(t.release.empty());
  CHECK(t.slot == 0);
}

TEST_CASE("ParseNode reads hostname, role, availability, state and address", "[docker]") {
  auto n = ms::engine::ParseNode(json::parse(R"J({"ID": "n1", "Description": {"Hostname": "box"},
    "Spec": {"Role": "manager", "Availability": "drain"}, "Status": {"State": "down", "Addr": "10.0.0.2"}})J"));
  CHECK(n.id == "n1");
  CHECK(n.hostname == "box");
  CHECK(n.role == "manager");
  CHECK(n.availability == "drain");
  CHECK(n.state == "down");
  CHECK(n.addr == "10.0.0.2");
}

TEST_CASE("ParseContainer reads state, labels, sorted networks and host ports", "[docker]") {
  auto c = ms::engine::ParseContainer(json::parse(R"J({"Id": "c1", "Name": "/registry",
    "Config": {"Image": "reg", "Labels": {"mothership.role": "registry"}},
    "State": {"Running": true, "ExitCode": 0},
    "NetworkSettings": {"Networks": {"b-net": {}, "a-net": {}},
                        "Ports": {"5000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "32768"}], "22/tcp": null}}})J"));
  CHECK(c.id == "c1");
  CHECK(c.name == "registry");
  CHECK(c.image == "reg");
  CHECK(c.running);
  CHECK(c.labels.at("mothership.role") == "registry");
  CHECK(c.networks == std::vector<std::string>{"a-net", "b-net"});
  CHECK(c.host_ports == std::map<std::string, std::string>{{"5000/tcp", "32768"}});
}

TEST_CASE("ParseContainer: a stopped container's exit code", "[docker]") {
  auto c = ms::engine::ParseContainer(json::parse(R"J({"Id": "c2", "State": {"Running": false, "ExitCode": 3}})J"));
  CHECK_FALSE(c.running);
  CHECK(c.exit_code == 3);
  CHECK(c.networks.empty());
}

TEST_CASE("ParseContainerSummary takes the first name and the labels", "[docker]") {
  auto s = ms::engine::ParseContainerSummary(
      json::parse(R"J({"Id": "c1", "Names": ["/ms-build-1", "/alias"], "Labels": {"mothership.role": "build"}})J"));
  CHECK(s.id == "c1");
  CHECK(s.name == "/ms-build-1");
  CHECK(s.labels.at("mothership.role") == "build");
}

TEST_CASE("ParseImage reads the id, tags and labels", "[docker]") {
  auto i = ms::engine::ParseImage(json::parse(
      R"J({"Id": "sha256:abc", "RepoTags": ["r/x:v1", "r/x:latest"], "Config": {"Labels": {"k": "v"}}})J"));
  CHECK(i.id == "sha256:abc");
  CHECK(i.repo_tags == std::vector<std::string>{"r/x:v1", "r/x:latest"});
  CHECK(i.labels.at("k") == "v");
  CHECK(i.entrypoint.empty());
  CHECK(i.cmd.empty());
}

TEST_CASE("ParseImage reads the image's command", "[docker]") {
  auto i = ms::engine::ParseImage(json::parse(
      R"J({"Id": "sha256:abc", "Config": {"Entrypoint": ["/launch"], "Cmd": ["node", "server.js"]}})J"));
  CHECK(i.entrypoint == std::vector<std::string>{"/launch"});
  CHECK(i.cmd == std::vector<std::string>{"node", "server.js"});
  auto none = ms::engine::ParseImage(json::parse(R"J({"Id": "sha256:abc", "Config": {"Entrypoint": null, "Cmd": null}})J"));
  CHECK(none.entrypoint.empty());
  CHECK(none.cmd.empty());
}

TEST_CASE("ParseEngineInfo reads the swarm state, the node and the managers", "[docker]") {
  auto e = ms::engine::ParseEngineInfo(json::parse(R"J({"Swarm": {"LocalNodeState": "active",
    "ControlAvailable": true, "NodeID": "n1", "NodeAddr": "10.0.0.1",
    "RemoteManagers": [{"NodeID": "n1", "Addr": "10.0.0.1:2377"}, {"Addr": 5}]}})J"));
  CHECK(e.swarm_state == "active");
  CHECK(e.control_available);
  CHECK(e.node_id == "n1");
  CHECK(e.node_addr == "10.0.0.1");
  CHECK(e.remote_managers == std::vector<std::string>{"10.0.0.1:2377"});
}

TEST_CASE("ParseEngineInfo: an engine in no swarm", "[docker]") {
  auto e = ms::engine::ParseEngineInfo(json::parse(R"J({"Swarm": {"LocalNodeState": "inactive"}})J"));
  CHECK(e.swarm_state == "inactive");
  CHECK_FALSE(e.control_available);
  CHECK(e.remote_managers.empty());
}

TEST_CASE("ParseEngineInfo reads which registries the engine speaks plain HTTP to", "[docker]") {
  auto e = ms::engine::ParseEngineInfo(json::parse(R"J({"Swarm": {}, "RegistryConfig": {
    "InsecureRegistryCIDRs": ["127.0.0.0/8", 7],
    "IndexConfigs": {"docker.io": {"Name": "docker.io", "Secure": true},
                     "10.0.0.5:5000": {"Name": "10.0.0.5:5000", "Secure": false},
                     "odd": {"Secure": "no"}}}})J"));
  CHECK(e.insecure_registry_cidrs == std::vector<std::string>{"127.0.0.0/8"});
  CHECK(e.insecure_registries == std::vector<std::string>{"10.0.0.5:5000"});
}

TEST_CASE("ParseSwarm reads the join tokens", "[docker]") {
  auto s = ms::engine::ParseSwarm(json::parse(R"J({"JoinTokens": {"Worker": "SWMTKN-w", "Manager": "SWMTKN-m"}})J"));
  CHECK(s.worker_join_token == "SWMTKN-w");
  CHECK(s.manager_join_token == "SWMTKN-m");
}

TEST_CASE("ParseList parses each element and ignores what is not an array", "[docker]") {
  auto tasks = ms::engine::ParseList<ms::TaskInfo>(json::parse(R"J([{"ID": "a"}, {"ID": "b"}])J"), ms::engine::ParseTask);
  REQUIRE(tasks.size() == 2);
  CHECK(tasks[1].id == "b");
  CHECK(ms::engine::ParseList<ms::TaskInfo>(json::object(), ms::engine::ParseTask).empty());
  CHECK(ms::engine::ParseList<ms::TaskInfo>(json::parse("[", nullptr, false), ms::engine::ParseTask).empty());
}

TEST_CASE("StringMember reads one string member of an answer and never throws", "[docker]") {
  CHECK(ms::engine::StringMember(R"J({"Id": "abc"})J", "Id") == "abc");
  CHECK(ms::engine::StringMember(R"J({"Id": 3})J", "Id").empty());
  CHECK(ms::engine::StringMember("not json", "Id").empty());
  CHECK(ms::engine::StringMember("[]", "Id").empty());
}

TEST_CASE("FiltersJson writes each filter as a list", "[docker]") {
  auto j = ms::engine::FiltersJson({{"label", {"a=1", "b=2"}}, {"service", {"x-web"}}});
  CHECK(j == json::parse(R"J({"label": ["a=1", "b=2"], "service": ["x-web"]})J"));
  CHECK(ms::engine::FiltersJson({}) == json::object());
}

TEST_CASE("ServiceSpecJson: a global service with a command, mounts, placement and no health check", "[docker]") {
  ms::ServiceSpec s;
  s.name = "proxy";
  s.image = "img";
  s.command = {"/usr/local/bin/mothership-proxy"};
  s.args = {"edge"};
  s.mounts = {{"/data/proxy", "/etc/mothership-proxy", true}};
  s.networks = {{"host", {}}};
  s.constraints = {"node.id==n1"};
  s.global = true;
  s.restart_condition = "any";
  auto j = ms::engine::ServiceSpecJson(s);
  CHECK(j["Mode"] == json::parse(R"J({"Global": {}})J"));
  CHECK(j["TaskTemplate"]["ContainerSpec"]["Command"] == json{"/usr/local/bin/mothership-proxy"});
  CHECK_FALSE(j["TaskTemplate"]["ContainerSpec"].contains("Healthcheck"));
  CHECK_FALSE(j["TaskTemplate"]["ContainerSpec"].contains("Env"));
  CHECK(j["TaskTemplate"]["ContainerSpec"]["Mounts"][0] ==
        json::parse(R"J({"Type": "bind", "Source": "/data/proxy", "Target": "/etc/mothership-proxy", "ReadOnly": true})J"));
  CHECK(j["TaskTemplate"]["Networks"] == json::parse(R"J([{"Target": "host"}])J"));
  CHECK(j["TaskTemplate"]["Placement"]["Constraints"] == json{"node.id==n1"});
  CHECK(j["TaskTemplate"]["RestartPolicy"]["Condition"] == "any");
  CHECK_FALSE(j.contains("RollbackConfig"));
}

TEST_CASE("ServiceSpecJson then ParseService keeps what a rollout reads back", "[docker]") {
  ms::ServiceSpec s;
  s.name = "shop-web";
  s.labels = {{"mothership.app", "shop"}};
  s.image = "r/shop:v2";
  s.args = {"npm start"};
  s.container_labels = {{"mothership.release", "v2"}};
  s.replicas = 3;
  s.force_update = 5;
  s.rollback = ms::UpdatePolicy{};
  auto spec = ms::engine::ServiceSpecJson(s);
  CHECK(spec.contains("RollbackConfig"));
  auto back = ms::engine::ParseService(json{{"ID", "x"}, {"Version", {{"Index", 1}}}, {"Spec", spec}});
  CHECK(back.name == s.name);
  CHECK(back.labels == s.labels);
  CHECK(back.image == s.image);
  CHECK(back.args == s.args);
  CHECK(back.container_labels == s.container_labels);
  CHECK(back.replicas == 3);
  CHECK(back.force_update == 5);
}
