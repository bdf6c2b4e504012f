// EngineDockerClient, Swarm part: the swarm itself, overlay networks, services,
// tasks, nodes and service logs.

#include "server/common/json.h"
#include "server/docker/engine_docker_client.h"
#include "server/docker/engine_json.h"
#include "server/docker/engine_request.h"
#include "server/docker/ownership.h"

namespace ms {

using engine::Req;

namespace {

nlohmann::json ParseJson(const HttpResponse& r) { return nlohmann::json::parse(r.body, nullptr, false); }

std::string Filters(const EngineFilters& filters) { return UrlEncode(DumpJson(engine::FiltersJson(filters))); }

}  // namespace

Result<EngineInfo> EngineDockerClient::Info() {
  auto r = Call(Req("GET", "/info"), {200});
  if (!r) return std::unexpected(r.error());
  return engine::ParseEngineInfo(ParseJson(*r));
}

Result<void> EngineDockerClient::SwarmInit(const std::string& advertise_addr) {
  nlohmann::json body = {{"ListenAddr", "0.0.0.0:2377"}};
  if (!advertise_addr.empty()) body["AdvertiseAddr"] = advertise_addr;
  auto r = Call(Req("POST", "/swarm/init", DumpJson(body), {{"Content-Type", "application/json"}}), {200});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<SwarmInfo> EngineDockerClient::SwarmInspect() {
  auto r = Call(Req("GET", "/swarm"), {200});
  if (!r) return std::unexpected(r.error());
  return engine::ParseSwarm(ParseJson(*r));
}

Result<std::string> EngineDockerClient::EnsureOverlayNetwork(const std::string& name,
                                                             const std::map<std::string, std::string>& labels) {
  nlohmann::json body = {{"Name", name},       {"Driver", "overlay"}, {"Attachable", true},
                         {"CheckDuplicate", true}, {"Labels", labels}};
  return EnsureNetwork(name, labels, body);
}

Result<std::string> EngineDockerClient::EnsureBridgeNetwork(const std::string& name, const Labels& labels,
                                                            const std::map<std::string, std::string>& options) {
  nlohmann::json body = {{"Name", name},     {"Driver", "bridge"}, {"CheckDuplicate", true},
                         {"Labels", labels}, {"Options", options}};
  return EnsureNetwork(name, labels, body);
}

Result<std::string> EngineDockerClient::EnsureNetwork(const std::string& name, const Labels& labels,
                                                      const nlohmann::json& body) {
  auto found = Call(Req("GET", "/networks/" + UrlEncode(name)), {200});
  if (found) {
    auto network = ParseJson(*found);
    Labels theirs = engine::ParseNetworkLabels(network);
    auto want = [&](const char* key) { return labels.contains(key) ? labels.at(key) : std::string(); };
    if (auto owner = ForeignOwner(theirs, want("mothership.install"), want("mothership.app"));
        labels.contains("mothership.install") && !owner.empty()) {
      return AlreadyExists(fmt::format("the Docker network {} belongs to {}", name, owner));
    }
    return engine::StringMember(found->body, "Id");
  }
  if (found.error().code != ErrorCode::kNotFound) return std::unexpected(found.error());
  auto r = Call(Req("POST", "/networks/create", DumpJson(body), {{"Content-Type", "application/json"}}), {201});
  if (!r && r.error().code == ErrorCode::kAlreadyExists) return EnsureNetwork(name, labels, body);
  if (!r) return std::unexpected(r.error());
  return engine::StringMember(r->body, "Id");
}

Result<void> EngineDockerClient::RemoveNetwork(const std::string& name) {
  auto r = Call(Req("DELETE", "/networks/" + UrlEncode(name)), {204});
  if (!r && r.error().code != ErrorCode::kNotFound) return std::unexpected(r.error());
  return {};
}

Result<std::optional<ServiceInfo>> EngineDockerClient::InspectService(const std::string& name) {
  auto r = Call(Req("GET", "/services/" + UrlEncode(name)), {200});
  if (!r && r.error().code == ErrorCode::kNotFound) return std::optional<ServiceInfo>();
  if (!r) return std::unexpected(r.error());
  return std::optional<ServiceInfo>(engine::ParseService(ParseJson(*r)));
}

Result<std::string> EngineDockerClient::CreateService(const ServiceSpec& spec) {
  auto r = Call(Req("POST", "/services/create", DumpJson(engine::ServiceSpecJson(spec)),
                    {{"Content-Type", "application/json"}, {"X-Registry-Auth", RegistryAuth(spec.image)}}),
                {201});
  if (!r) return std::unexpected(r.error());
  return engine::StringMember(r->body, "ID");
}

Result<void> EngineDockerClient::PostServiceUpdate(const std::string& id, uint64_t version, const std::string& spec,
                                                   const std::string& image, bool rollback) {
  std::string path = fmt::format("/services/{}/update?version={}", UrlEncode(id), version);
  if (rollback) path += "&rollback=previous";
  // Swarm replaces the login it keeps for the service with this one.
  auto r = Call(Req("POST", path, spec, {{"Content-Type", "application/json"}, {"X-Registry-Auth", RegistryAuth(image)}}),
                {200});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> EngineDockerClient::UpdateService(const std::string& id, uint64_t version, const ServiceSpec& spec) {
  return PostServiceUpdate(id, version, DumpJson(engine::ServiceSpecJson(spec)), spec.image, false);
}

Result<void> EngineDockerClient::RollbackService(const std::string& id) {
  // The engine wants the current spec and version along with the rollback.
  auto r = Call(Req("GET", "/services/" + UrlEncode(id)), {200});
  if (!r) return std::unexpected(r.error());
  auto service = ParseJson(*r);
  if (!service.is_object() || !service.contains("Spec")) return Failed("the Docker engine sent no service spec");
  auto info = engine::ParseService(service);
  return PostServiceUpdate(id, info.version, DumpJson(service["Spec"]), info.image, true);
}

Result<void> EngineDockerClient::RemoveService(const std::string& name) {
  auto r = Call(Req("DELETE", "/services/" + UrlEncode(name)), {200});
  if (!r && r.error().code != ErrorCode::kNotFound) return std::unexpected(r.error());
  return {};
}

Result<std::vector<ServiceInfo>> EngineDockerClient::ListServices(const EngineFilters& filters) {
  auto r = Call(Req("GET", "/services?filters=" + Filters(filters)), {200});
  if (!r) return std::unexpected(r.error());
  return engine::ParseList<ServiceInfo>(ParseJson(*r), engine::ParseService);
}

Result<std::vector<TaskInfo>> EngineDockerClient::ListTasks(const EngineFilters& filters) {
  auto r = Call(Req("GET", "/tasks?filters=" + Filters(filters)), {200});
  if (!r) return std::unexpected(r.error());
  return engine::ParseList<TaskInfo>(ParseJson(*r), engine::ParseTask);
}

Result<std::vector<NodeInfo>> EngineDockerClient::ListNodes() {
  auto r = Call(Req("GET", "/nodes"), {200});
  if (!r) return std::unexpected(r.error());
  return engine::ParseList<NodeInfo>(ParseJson(*r), engine::ParseNode);
}

Result<void> EngineDockerClient::ServiceLogs(const std::string& service, int tail, bool follow, const LineSink& out,
                                             const std::function<bool()>& cancelled) {
  std::string path = fmt::format("/services/{}/logs?stdout=1&stderr=1&timestamps=1&details=1&tail={}&follow={}",
                                 UrlEncode(service), tail < 0 ? std::string("all") : std::to_string(tail),
                                 follow ? 1 : 0);
  HttpRequest request = Req("GET", path);
  request.cancelled = cancelled;
  auto r = StreamOutput(request, out);
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) return NotFound(fmt::format("{} is not running", service));
  if (r->status != 200 && r->status != 0) return Failed(fmt::format("cannot read the logs of {}", service));
  return {};
}

Result<std::string> EngineDockerClient::TaskLogs(const std::string& task_id, int tail) {
  std::string text;
  auto r = StreamOutput(Req("GET", fmt::format("/tasks/{}/logs?stdout=1&stderr=1&tail={}", task_id, tail)),
                        [&](std::string_view line) {
                          text.append(line);
                          text.push_back('\n');
                        });
  if (!r) return std::unexpected(r.error());
  if (r->status != 200) return Failed("cannot read the task's logs");
  return text;
}

}  // namespace ms
