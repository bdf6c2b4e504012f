#include "server/docker/engine_json.h"

#include <algorithm>

namespace ms::engine {
namespace {

const nlohmann::json& Obj(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!j.is_object()) return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

template <typename T>
T Num(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return T{};
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<T>() : T{};
}

bool Bool(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

Labels StrMap(const nlohmann::json& j, const char* key) {
  Labels out;
  for (const auto& [k, v] : Obj(j, key).items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

std::vector<std::string> StrList(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::string LabelOf(const Labels& labels, const std::string& key) {
  auto it = labels.find(key);
  return it == labels.end() ? "" : it->second;
}

nlohmann::json PolicyJson(const UpdatePolicy& p) {
  return {{"Parallelism", p.parallelism},       {"Delay", p.delay_ns},
          {"FailureAction", p.failure_action},   {"Monitor", p.monitor_ns},
          {"MaxFailureRatio", p.max_failure_ratio}, {"Order", p.order}};
}

}  // namespace

ServiceInfo ParseService(const nlohmann::json& service) {
  ServiceInfo s;
  const auto& spec = Obj(service, "Spec");
  const auto& task = Obj(spec, "TaskTemplate");
  const auto& container = Obj(task, "ContainerSpec");
  s.id = Str(service, "ID");
  s.name = Str(spec, "Name");
  s.version = Num<uint64_t>(Obj(service, "Version"), "Index");
  s.labels = StrMap(spec, "Labels");
  s.image = Str(container, "Image");
  s.args = StrList(container, "Args");
  s.container_labels = StrMap(container, "Labels");
  const auto& mode = Obj(spec, "Mode");
  s.global = mode.contains("Global");
  s.replicas = Num<int>(Obj(mode, "Replicated"), "Replicas");
  s.force_update = Num<uint64_t>(task, "ForceUpdate");
  s.update_state = Str(Obj(service, "UpdateStatus"), "State");
  s.update_message = Str(Obj(service, "UpdateStatus"), "Message");
  return s;
}

TaskInfo ParseTask(const nlohmann::json& task) {
  TaskInfo t;
  const auto& status = Obj(task, "Status");
  const auto& spec = Obj(task, "Spec");
  const auto& container = Obj(spec, "ContainerSpec");
  t.id = Str(task, "ID");
  t.service_id = Str(task, "ServiceID");
  t.slot = Num<int>(task, "Slot");
  t.node_id = Str(task, "NodeID");
  t.state = Str(status, "State");
  t.desired_state = Str(task, "DesiredState");
  t.error = Str(status, "Err");
  t.message = Str(status, "Message");
  t.timestamp = Str(status, "Timestamp");
  t.updated_at = Str(task, "UpdatedAt");
  t.image = Str(container, "Image");
  t.container_labels = StrMap(container, "Labels");
  t.release = LabelOf(t.container_labels, "mothership.release");
  t.force_update = Num<uint64_t>(spec, "ForceUpdate");
  auto attachments = task.is_object() ? task.find("NetworksAttachments") : task.end();
  if (task.is_object() && attachments != task.end() && attachments->is_array()) {
    for (const auto& a : *attachments) {
      const std::string network = Str(Obj(Obj(a, "Network"), "Spec"), "Name");
      auto addresses = a.is_object() ? a.find("Addresses") : a.end();
      if (network.empty() || !a.is_object() || addresses == a.end() || !addresses->is_array() ||
          addresses->empty() || !(*addresses)[0].is_string()) {
        continue;
      }
      std::string address = (*addresses)[0].get<std::string>();  // "10.0.1.5/24"
      t.addresses[network] = address.substr(0, address.find('/'));
    }
  }
  return t;
}

NodeInfo ParseNode(const nlohmann::json& node) {
  NodeInfo n;
  n.id = Str(node, "ID");
  n.hostname = Str(Obj(node, "Description"), "Hostname");
  n.role = Str(Obj(node, "Spec"), "Role");
  n.availability = Str(Obj(node, "Spec"), "Availability");
  n.state = Str(Obj(node, "Status"), "State");
  n.addr = Str(Obj(node, "Status"), "Addr");
  return n;
}

ContainerInfo ParseContainer(const nlohmann::json& container) {
  ContainerInfo c;
  c.id = Str(container, "Id");
  c.name = Str(container, "Name");
  if (c.name.starts_with('/')) c.name.erase(0, 1);
  c.image = Str(Obj(container, "Config"), "Image");
  c.running = Bool(Obj(container, "State"), "Running");
  c.exit_code = Num<int>(Obj(container, "State"), "ExitCode");
  c.oom_killed = Bool(Obj(container, "State"), "OOMKilled");
  c.labels = StrMap(Obj(container, "Config"), "Labels");
  const auto& settings = Obj(container, "NetworkSettings");
  for (const auto& [name, _] : Obj(settings, "Networks").items()) c.networks.push_back(name);
  std::sort(c.networks.begin(), c.networks.end());
  for (const auto& [port, bindings] : Obj(settings, "Ports").items()) {
    if (bindings.is_array() && !bindings.empty()) c.host_ports[port] = Str(bindings[0], "HostPort");
  }
  return c;
}

ContainerSummary ParseContainerSummary(const nlohmann::json& container) {
  ContainerSummary s;
  s.id = Str(container, "Id");
  auto names = StrList(container, "Names");
  if (!names.empty()) s.name = names[0];
  s.labels = StrMap(container, "Labels");
  return s;
}

Labels ParseNetworkLabels(const nlohmann::json& network) { return StrMap(network, "Labels"); }

ImageInfo ParseImage(const nlohmann::json& image) {
  ImageInfo i;
  i.id = Str(image, "Id");
  i.repo_tags = StrList(image, "RepoTags");
  i.repo_digests = StrList(image, "RepoDigests");
  i.labels = StrMap(Obj(image, "Config"), "Labels");
  i.on_build = StrList(Obj(image, "Config"), "OnBuild");
  i.entrypoint = StrList(Obj(image, "Config"), "Entrypoint");
  i.cmd = StrList(Obj(image, "Config"), "Cmd");
  return i;
}

EngineInfo ParseEngineInfo(const nlohmann::json& info) {
  EngineInfo e;
  const auto& swarm = Obj(info, "Swarm");
  e.swarm_state = Str(swarm, "LocalNodeState");
  e.control_available = Bool(swarm, "ControlAvailable");
  e.node_id = Str(swarm, "NodeID");
  e.node_addr = Str(swarm, "NodeAddr");
  auto it = swarm.find("RemoteManagers");
  if (it != swarm.end() && it->is_array()) {
    for (const auto& m : *it) {
      if (auto addr = Str(m, "Addr"); !addr.empty()) e.remote_managers.push_back(addr);
    }
  }
  const auto& registries = Obj(info, "RegistryConfig");
  if (auto cidrs = registries.find("InsecureRegistryCIDRs"); cidrs != registries.end() && cidrs->is_array()) {
    for (const auto& cidr : *cidrs) {
      if (cidr.is_string()) e.insecure_registry_cidrs.push_back(cidr.get<std::string>());
    }
  }
  if (auto indexes = registries.find("IndexConfigs"); indexes != registries.end() && indexes->is_object()) {
    for (const auto& [name, index] : indexes->items()) {
      if (index.is_object() && index.contains("Secure") && index["Secure"].is_boolean() && !index["Secure"].get<bool>()) {
        e.insecure_registries.push_back(name);
      }
    }
  }
  return e;
}

SwarmInfo ParseSwarm(const nlohmann::json& swarm) {
  SwarmInfo s;
  s.worker_join_token = Str(Obj(swarm, "JoinTokens"), "Worker");
  s.manager_join_token = Str(Obj(swarm, "JoinTokens"), "Manager");
  return s;
}

nlohmann::json ServiceSpecJson(const ServiceSpec& spec) {
  nlohmann::json container = {
      {"Image", spec.image}, {"Labels", spec.container_labels}, {"StopGracePeriod", spec.stop_grace_ns}};
  if (!spec.args.empty()) container["Args"] = spec.args;  // none: the image's CMD
  if (!spec.command.empty()) container["Command"] = spec.command;
  if (!spec.env.empty()) container["Env"] = spec.env;
  if (!spec.cap_drop.empty()) container["CapabilityDrop"] = spec.cap_drop;
  if (!spec.mounts.empty()) {
    nlohmann::json mounts = nlohmann::json::array();
    for (const auto& m : spec.mounts) {
      mounts.push_back({{"Type", m.volume ? "volume" : "bind"},
                        {"Source", m.source},
                        {"Target", m.target},
                        {"ReadOnly", m.read_only}});
    }
    container["Mounts"] = mounts;
  }
  if (spec.health_check) {
    const auto& h = *spec.health_check;
    container["Healthcheck"] = {{"Test", h.test},
                                {"Interval", h.interval_ns},
                                {"Timeout", h.timeout_ns},
                                {"Retries", h.retries},
                                {"StartPeriod", h.start_period_ns}};
  }
  nlohmann::json networks = nlohmann::json::array();
  for (const auto& n : spec.networks) {
    nlohmann::json net = {{"Target", n.target}};
    if (!n.aliases.empty()) net["Aliases"] = n.aliases;
    networks.push_back(net);
  }
  nlohmann::json task = {{"ContainerSpec", container},
                         {"RestartPolicy", {{"Condition", spec.restart_condition}, {"Delay", spec.restart_delay_ns}, {"MaxAttempts", 0}}},
                         {"Networks", networks},
                         {"LogDriver", {{"Name", spec.log_driver}, {"Options", spec.log_options}}},
                         {"ForceUpdate", spec.force_update}};
  if (!spec.constraints.empty()) task["Placement"] = {{"Constraints", spec.constraints}};
  if (spec.limits != ResourceLimits{}) {
    nlohmann::json limits = nlohmann::json::object();
    if (spec.limits.memory_bytes > 0) limits["MemoryBytes"] = spec.limits.memory_bytes;
    if (spec.limits.nano_cpus > 0) limits["NanoCPUs"] = spec.limits.nano_cpus;
    if (spec.limits.pids > 0) limits["Pids"] = spec.limits.pids;
    task["Resources"] = {{"Limits", limits}};
  }
  nlohmann::json out = {{"Name", spec.name},
                        {"Labels", spec.labels},
                        {"TaskTemplate", task},
                        {"UpdateConfig", PolicyJson(spec.update)},
                        {"EndpointSpec", {{"Mode", spec.endpoint_mode}}}};
  if (spec.global) {
    out["Mode"] = {{"Global", nlohmann::json::object()}};
  } else {
    out["Mode"] = {{"Replicated", {{"Replicas", spec.replicas}}}};
  }
  if (spec.rollback) out["RollbackConfig"] = PolicyJson(*spec.rollback);
  return out;
}

std::string StringMember(const std::string& body, const char* key) {
  return Str(nlohmann::json::parse(body, nullptr, false), key);
}

nlohmann::json FiltersJson(const EngineFilters& filters) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, values] : filters) out[key] = values;
  return out;
}

}  // namespace ms::engine
