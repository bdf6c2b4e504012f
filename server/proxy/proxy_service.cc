#include "server/proxy/proxy_service.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "server/builder/mothership_image.h"
#include "server/common/http_client.h"
#include "server/common/json.h"
#include "server/common/log.h"
#include "server/contracts/routes_file.h"
#include "server/runtime/service_spec.h"

namespace ms {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kSecond = 1'000'000'000;
const char kRoutesDir[] = "/etc/mothership-proxy";
const char kRunDir[] = "/run/mothership-proxy";

}  // namespace

Result<std::string> ProxyService::EnsureImage(const std::function<void(const std::string&)>& say) {
  if (!image_.empty()) {
    auto exists = docker_.ImageExists(image_);
    if (exists && *exists) return image_;
  }
  auto image = EnsureMothershipImage(docker_, settings_, prefix_, say);
  if (!image) return image;
  image_ = *image;
  return image;
}

Result<std::vector<std::string>> ProxyService::AppNetworks(const std::string& leaving) {
  auto services = docker_.ListServices(
      {{"label", {"mothership.install=" + settings_.InstallId(), "mothership.process=web"}}});
  if (!services) return std::unexpected(services.error());
  std::set<std::string> networks;
  for (const auto& s : *services) {
    std::string app = At(At(s, "Spec"), "Labels").value("mothership.app", "");
    if (!app.empty() && app != leaving) networks.insert(AppNetworkName(app));
  }
  return std::vector<std::string>(networks.begin(), networks.end());
}

Result<void> ProxyService::Ensure(const std::function<void(const std::string&)>& say) {
  if (auto r = WriteRoutes(); !r) return r;
  return Apply("", say);
}

Result<void> ProxyService::Reconcile() {
  if (auto r = WriteRoutes(); !r) return r;
  auto existing = docker_.InspectService(settings_.proxy_service);
  if (!existing) return std::unexpected(existing.error());
  auto networks = AppNetworks("");
  if (!networks) return std::unexpected(networks.error());
  if (!existing->has_value() && networks->empty()) return {};
  return Apply("", nullptr);
}

Result<void> ProxyService::Detach(const std::string& app) {
  auto existing = docker_.InspectService(settings_.proxy_service);
  if (!existing) return std::unexpected(existing.error());
  if (!existing->has_value()) return {};
  auto networks = At(At(**existing, "Spec"), "Labels").value("mothership.networks", "");
  std::string name = AppNetworkName(app);
  if (("," + networks + ",").find("," + name + ",") == std::string::npos) return {};
  return Apply(app, nullptr);
}

namespace {

// The parts both services share.
// labels["mothership.node"]: the node the proxy runs on.
nlohmann::json ServiceSpec(const std::string& name, const std::map<std::string, std::string>& labels,
                           const std::string& image, const std::vector<std::string>& args, const nlohmann::json& mounts,
                           const nlohmann::json& networks, const char* update_order) {
  return {{"Name", name},
          {"Labels", labels},
          {"TaskTemplate",
           {{"ContainerSpec",
             {{"Image", image}, {"Command", {"/usr/local/bin/mothership-proxy"}}, {"Args", args}, {"Labels", labels}, {"Mounts", mounts},
              {"StopGracePeriod", int64_t{15} * kSecond}}},
            {"Networks", networks},
            // routes.json is on the node that runs the daemon: the proxy runs
            // there, and reaches tasks on every node over the apps' networks.
            {"Placement", {{"Constraints", {"node.id==" + labels.at("mothership.node")}}}},
            {"RestartPolicy", {{"Condition", "any"}, {"Delay", kSecond}}},
            {"LogDriver", {{"Name", "json-file"}, {"Options", {{"max-size", "10m"}, {"max-file", "3"}}}}}}},
          {"Mode", {{"Global", nlohmann::json::object()}}},
          {"UpdateConfig", {{"Parallelism", 1}, {"Order", update_order}, {"FailureAction", "rollback"}}},
          {"EndpointSpec", {{"Mode", "dnsrr"}}}};
}

nlohmann::json Bind(const std::filesystem::path& source, const char* target, bool read_only) {
  return {{"Type", "bind"}, {"Source", source.string()}, {"Target", target}, {"ReadOnly", read_only}};
}

}  // namespace

Result<bool> ProxyService::EnsureService(const nlohmann::json& spec, const std::function<void(const std::string&)>& say) {
  std::string name = spec["Name"];
  auto existing = docker_.InspectService(name);
  if (!existing) return std::unexpected(existing.error());
  if (!existing->has_value()) {
    if (say) say(fmt::format("Starting the service {} ...", name));
    auto created = docker_.CreateService(spec);
    if (!created) return std::unexpected(created.error());
    return true;
  }
  const auto& current = **existing;
  const auto& was = At(At(At(current, "Spec"), "TaskTemplate"), "ContainerSpec");
  const auto& will = spec["TaskTemplate"]["ContainerSpec"];
  if (was.value("Image", "") == will["Image"] && was.value("Args", nlohmann::json::array()) == will["Args"] &&
      At(was, "Labels") == will["Labels"]) {
    return false;
  }
  if (say) say(fmt::format("Updating the service {} ...", name));
  uint64_t version = At(current, "Version").value("Index", uint64_t{0});
  if (auto r = docker_.UpdateService(current.value("ID", ""), version, spec); !r) return std::unexpected(r.error());
  return true;
}

Result<void> ProxyService::Apply(const std::string& leaving, const std::function<void(const std::string&)>& say) {
  std::lock_guard lock(mu_);
  auto image = EnsureImage(say);
  if (!image) return std::unexpected(image.error());
  auto networks = AppNetworks(leaving);
  if (!networks) return std::unexpected(networks.error());
  std::string joined;
  nlohmann::json targets = nlohmann::json::array();
  for (const auto& n : *networks) {
    joined += (joined.empty() ? "" : ",") + n;
    targets.push_back({{"Target", n}});
  }
  auto info = docker_.Info();
  if (!info) return std::unexpected(info.error());
  std::string node = At(*info, "Swarm").value("NodeID", "");
  if (node.empty()) return Failed("this Docker engine is not a Swarm node; restart mothershipd to initialise Swarm");
  std::error_code ec;
  auto run_dir = settings_.ProxyDir() / "run";
  std::filesystem::create_directories(run_dir, ec);
  const std::string socket = std::string(kRunDir) + "/edge.sock";

  // The edge holds the ports on the host's network and hands connections to
  // the newest worker; it changes only with the binary.
  std::map<std::string, std::string> edge_labels = {{"mothership.role", "proxy-edge"},
                                                    {"mothership.install", settings_.InstallId()},
                                                    {"mothership.node", node}};
  auto edge = ServiceSpec(settings_.proxy_service + "-edge", edge_labels, *image,
                          {"edge", "--listen", fmt::format("0.0.0.0:{}", settings_.http_port), "--metrics",
                           fmt::format("0.0.0.0:{}", settings_.proxy_metrics_port), "--socket", socket},
                          nlohmann::json::array({Bind(run_dir, kRunDir, false)}),
                          nlohmann::json::array({{{"Target", "host"}}}), "stop-first");
  // The worker joins the apps' networks. Replacing it (a new app, a new
  // binary) is start-first: the new one takes new connections from the edge
  // while the old one finishes its own.
  std::vector<std::string> args = {"--routes", std::string(kRoutesDir) + "/routes.json", "--edge-socket", socket,
                                   "--public-port", std::to_string(settings_.http_port)};
  if (settings_.max_body_mb > 0) {
    args.push_back("--max-body-mb");
    args.push_back(std::to_string(settings_.max_body_mb));
  }
  std::map<std::string, std::string> labels = {{"mothership.role", "proxy"},
                                               {"mothership.install", settings_.InstallId()},
                                               {"mothership.networks", joined},
                                               {"mothership.node", node}};
  auto worker = ServiceSpec(settings_.proxy_service, labels, *image, args,
                            nlohmann::json::array({Bind(settings_.ProxyDir(), kRoutesDir, true), Bind(run_dir, kRunDir, false)}),
                            targets,
                            "start-first");

  auto edge_changed = EnsureService(edge, say);
  if (!edge_changed) return std::unexpected(edge_changed.error());
  auto worker_changed = EnsureService(worker, say);
  if (!worker_changed) return std::unexpected(worker_changed.error());
  if (!*edge_changed && !*worker_changed) return {};
  return WaitServing(*image, joined);
}

Result<void> ProxyService::WaitServing(const std::string& image, const std::string& networks) {
  // A task of this spec runs, and the proxy answers on the port.
  auto client = HttpClient::Tcp(fmt::format("http://127.0.0.1:{}", settings_.http_port), "the proxy", "");
  auto deadline = Clock::now() + std::chrono::seconds(60);
  std::string last;
  while (Clock::now() < deadline) {
    auto tasks = docker_.ListTasks({{"service", {settings_.proxy_service}}, {"desired-state", {"running"}}});
    bool running = false;
    if (tasks) {
      for (const auto& t : *tasks) {
        const auto& cs = At(At(t, "Spec"), "ContainerSpec");
        if (At(t, "Status").value("State", "") == "running" && cs.value("Image", "") == image &&
            At(cs, "Labels").value("mothership.networks", "") == networks) {
          running = true;
        }
        last = At(t, "Status").value("Err", last);
      }
    }
    if (running) {
      HttpRequest probe;
      probe.path = "/";
      probe.headers = {{"Host", "mothership-probe.invalid"}};
      probe.timeout_seconds = 2;
      auto r = client.Send(probe);
      if (r && r->status == 404 && !r->Header("x-request-id").empty()) return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Failed(fmt::format("the proxy service {} did not answer on port {} within 60 s{}{}", settings_.proxy_service,
                            settings_.http_port, last.empty() ? "" : ": ", last));
}

Result<void> ProxyService::WriteRoutes() {
  std::lock_guard lock(routes_mu_);
  auto apps = store_.ListApps();
  if (!apps) return std::unexpected(apps.error());
  auto services = docker_.ListServices(
      {{"label", {"mothership.install=" + settings_.InstallId(), "mothership.process=web"}}});
  if (!services) return std::unexpected(services.error());
  std::map<std::string, int64_t> replicas;
  for (const auto& s : *services) {
    const auto& spec = At(s, "Spec");
    replicas[At(spec, "Labels").value("mothership.app", "")] =
        At(At(spec, "Mode"), "Replicated").value("Replicas", int64_t{0});
  }
  contracts::RoutesFile routes{.domain = settings_.domain};
  for (const auto& app : *apps) {
    auto domains = store_.ListDomains(app.name);
    if (!domains) return std::unexpected(domains.error());
    auto it = replicas.find(app.name);
    routes.apps.push_back({.name = app.name,
                           .upstream = fmt::format("tasks.{}:{}", ServiceName(app.name, "web"), 5000),
                           .running = it != replicas.end() && it->second > 0,
                           .domains = std::move(*domains)});
  }
  std::string text = contracts::ToJson(routes);
  auto file = RoutesFile();
  {
    std::ifstream in(file);
    std::stringstream old;
    old << in.rdbuf();
    if (in && old.str() == text) return {};
  }
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  auto tmp = file.parent_path() / ".routes.json.tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) return Failed(fmt::format("cannot write {}", tmp.string()));
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) return Failed(fmt::format("cannot replace {}: {}", file.string(), ec.message()));
  return {};
}

}  // namespace ms
