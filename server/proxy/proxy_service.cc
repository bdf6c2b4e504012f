#include "server/proxy/proxy_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "server/builder/mothership_image.h"
#include "server/certs/cert_bundle.h"
#include "server/certs/cert_files.h"
#include "server/common/sha256.h"
#include "server/common/http_client.h"
#include "server/common/json.h"
#include "server/common/log.h"
#include "server/contracts/proxy_probe.h"
#include "server/contracts/routes_file.h"
#include "server/docker/ownership.h"
#include "server/runtime/service_spec.h"

namespace ms {
namespace {

// How long routes.json names an app's new tasks after a rollout announced
// them (RouteEntry::tasks): Swarm's DNS has them well before.
constexpr int64_t kAnnouncedSeconds = 10;

const char kRoutesDir[] = "/etc/mothership-proxy";
const char kRunDir[] = "/run/mothership-proxy";
const char kReadyFile[] = "/tmp/mothership-proxy-ready";  // in each worker's own container
// Under DATA_DIR/proxy: the secret the workers derive session ticket keys from.
const char kTlsSecretFile[] = "tls-secret";

}  // namespace

Result<std::string> ProxyService::EnsureImage(Output& out) {
  if (!image_.empty()) {
    auto exists = docker_.ImageExists(image_);
    if (exists && *exists) return image_;
  }
  auto image = EnsureMothershipImage(docker_, settings_, prefix_, out);
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
    std::string app = s.Label("mothership.app");
    if (!app.empty() && app != leaving) networks.insert(AppNetworkName(app));
  }
  return std::vector<std::string>(networks.begin(), networks.end());
}

Result<void> ProxyService::Ensure(Output& out) {
  if (auto r = WriteRoutes(); !r) return r;
  return Apply("", out);
}

Result<void> ProxyService::Reconcile() {
  if (auto r = WriteRoutes(); !r) return r;
  auto existing = docker_.InspectService(settings_.proxy_service);
  if (!existing) return std::unexpected(existing.error());
  auto networks = AppNetworks("");
  if (!networks) return std::unexpected(networks.error());
  if (!existing->has_value() && networks->empty()) return {};
  NullOutput quiet;
  return Apply("", quiet);
}

Result<void> ProxyService::Detach(const std::string& app) {
  auto existing = docker_.InspectService(settings_.proxy_service);
  if (!existing) return std::unexpected(existing.error());
  if (!existing->has_value()) return {};
  auto networks = (*existing)->Label("mothership.networks");
  std::string name = AppNetworkName(app);
  if (("," + networks + ",").find("," + name + ",") == std::string::npos) return {};
  NullOutput quiet;
  return Apply(app, quiet);
}

namespace {

// The parts both services share.
// labels["mothership.node"]: the node the proxy runs on.
ServiceSpec ProxySpec(const std::string& name, const std::map<std::string, std::string>& labels,
                      const std::string& image, const std::vector<std::string>& args, std::vector<BindMount> mounts,
                      std::vector<NetworkAttachment> networks, const char* update_order) {
  ServiceSpec s;
  s.name = name;
  s.labels = labels;
  s.image = image;
  s.command = {"/usr/local/bin/mothership-proxy"};
  s.args = args;
  s.container_labels = labels;
  s.mounts = std::move(mounts);
  // The worker drains for up to 30 s (mothership-proxy --drain-seconds).
  s.stop_grace_ns = 35 * kNanosPerSecond;
  s.networks = std::move(networks);
  // routes.json is on the node that runs the daemon: the proxy runs there,
  // and reaches tasks on every node over the apps' networks.
  s.constraints = {"node.id==" + labels.at("mothership.node")};
  s.restart_condition = "any";
#ifdef MOTHERSHIP_SANITIZE
  // A sanitizer build's proxy writes its reports where the host sees them,
  // DATA_DIR/proxy/run/sanitizer.PID (the tests fail on any).
  const std::string reports = std::string(kRunDir) + "/sanitizer";
  s.env = {"ASAN_OPTIONS=log_path=" + reports, "UBSAN_OPTIONS=print_stacktrace=1:log_path=" + reports};
#endif
  s.restart_delay_ns = kNanosPerSecond;
  s.log_options = {{"max-size", "10m"}, {"max-file", "3"}};
  s.global = true;
  s.update.parallelism = 1;
  s.update.order = update_order;
  s.update.failure_action = "rollback";
  // A rollback replaces the tasks in the same order (Swarm's default would
  // stop the worker before its replacement starts).
  s.rollback = s.update;
  s.rollback->failure_action = "pause";
  s.endpoint_mode = "dnsrr";
  return s;
}

BindMount Bind(const std::filesystem::path& source, const char* target, bool read_only) {
  return {source.string(), target, read_only};
}

}  // namespace

Result<void> ProxyService::CheckPortsFree() {
  // Another installation's edge on this engine holding the same port would
  // answer this one's probes: refuse instead.
  auto edges = docker_.ListServices({{"label", {"mothership.role=proxy-edge"}}});
  if (!edges) return std::unexpected(edges.error());
  for (const auto& edge : *edges) {
    if (edge.Label("mothership.install") == settings_.InstallId()) continue;
    for (const auto& [port, setting] : {std::pair{settings_.http_port, "http_port"},
                                        std::pair{settings_.https_port, "https_port"},
                                        std::pair{settings_.proxy_metrics_port, "proxy_metrics_port"}}) {
      if (port == 0) continue;
      std::string suffix = fmt::format(":{}", port);
      for (const auto& arg : edge.args) {
        if (arg.ends_with(suffix)) {
          std::string theirs = edge.Label("mothership.data_dir");
          std::error_code ec;
          if (!theirs.empty() && !std::filesystem::exists(theirs, ec)) {
            return AlreadyExists(fmt::format(
                "port {} is taken by the proxy of a Mothership installation whose data directory {} is gone (the "
                "service {}); remove what it left with scripts/clean-docker, or set {} in {} to a free port",
                port, theirs, edge.name, setting, (settings_.data_dir / "config.yaml").string()));
          }
          return AlreadyExists(fmt::format(
              "port {} is taken by the proxy of another Mothership installation on this Docker engine (the "
              "service {}{}); set {} in {} to a free port, then restart mothershipd",
              port, edge.name, theirs.empty() ? "" : ", data directory " + theirs, setting,
              (settings_.data_dir / "config.yaml").string()));
        }
      }
    }
  }
  return {};
}

Result<bool> ProxyService::EnsureService(const ServiceSpec& spec, Output& out) {
  const std::string& name = spec.name;
  auto existing = docker_.InspectService(name);
  if (!existing) return std::unexpected(existing.error());
  if (!existing->has_value()) {
    if (auto r = CheckPortsFree(); !r) return std::unexpected(r.error());
    WriteLine(out, fmt::format("Starting the service {} ...", name));
    auto created = docker_.CreateService(spec);
    if (!created) return std::unexpected(created.error());
    return true;
  }
  const ServiceInfo& current = **existing;
  if (auto owner = ForeignOwner(current.labels, settings_.InstallId()); !owner.empty()) {
    return AlreadyExists(fmt::format(
        "the Docker service {} belongs to {}; this installation leaves it alone. Set proxy_service in {} to a "
        "name of its own (and http_port and proxy_metrics_port to free ports), then restart mothershipd",
        name, owner, (settings_.data_dir / "config.yaml").string()));
  }
  if (current.image == spec.image && current.args == spec.args && current.container_labels == spec.container_labels) {
    return false;
  }
  WriteLine(out, fmt::format("Updating the service {} ...", name));
  if (auto r = docker_.UpdateService(current.id, current.version, spec); !r) return std::unexpected(r.error());
  return true;
}

Result<void> ProxyService::Apply(const std::string& leaving, Output& out) {
  std::lock_guard lock(mu_);
  auto image = EnsureImage(out);
  if (!image) return std::unexpected(image.error());
  auto networks = AppNetworks(leaving);
  if (!networks) return std::unexpected(networks.error());
  std::string joined;
  std::vector<NetworkAttachment> targets;
  for (const auto& n : *networks) {
    joined += (joined.empty() ? "" : ",") + n;
    targets.push_back({n, {}});
  }
  auto info = docker_.Info();
  if (!info) return std::unexpected(info.error());
  const std::string& node = info->node_id;
  if (node.empty()) return Failed("this Docker engine is not a Swarm node; restart mothershipd to initialise Swarm");
  if (auto r = EnsureTlsSecret(settings_.ProxyDir() / kTlsSecretFile); !r) return r;
  std::error_code ec;
  auto run_dir = settings_.ProxyDir() / "run";
  std::filesystem::create_directories(run_dir, ec);
  const std::string socket = std::string(kRunDir) + "/edge.sock";

  // The edge holds the ports on the host's network and hands connections to
  // the newest worker; it changes only with the binary.
  // mothership.data_dir: which installation this is, for people and for
  // scripts/clean-docker (an installation whose data directory is gone).
  std::map<std::string, std::string> edge_labels = {{"mothership.role", "proxy-edge"},
                                                    {"mothership.install", settings_.InstallId()},
                                                    {"mothership.data_dir", settings_.data_dir.string()},
                                                    {"mothership.node", node}};
  std::vector<std::string> edge_args = {"edge", "--listen", fmt::format("0.0.0.0:{}", settings_.http_port)};
  if (settings_.https_port != 0) {
    edge_args.insert(edge_args.end(), {"--https", fmt::format("0.0.0.0:{}", settings_.https_port)});
  }
  edge_args.insert(edge_args.end(),
                   {"--metrics", fmt::format("{}:{}", settings_.proxy_metrics_address, settings_.proxy_metrics_port),
                    "--socket", socket});
  auto edge = ProxySpec(settings_.proxy_service + "-edge", edge_labels, *image, edge_args,
                        {Bind(run_dir, kRunDir, false)}, {{"host", {}}}, "stop-first");
  // The worker joins the apps' networks. Replacing it (a new app, a new
  // binary) is start-first: the new one takes new connections from the edge
  // while the old one finishes its own.
  std::vector<std::string> args = {"--routes", std::string(kRoutesDir) + "/routes.json", "--edge-socket", socket,
                                   "--public-port", std::to_string(settings_.http_port),
                                   "--public-https-port", std::to_string(settings_.https_port),
                                   "--tls-secret", std::string(kRoutesDir) + "/" + kTlsSecretFile,
                                   "--max-connections-per-address",
                                   std::to_string(settings_.proxy_max_connections_per_address),
                                   "--header-timeout", std::to_string(settings_.proxy_header_timeout_seconds),
                                   "--ready-file", kReadyFile};
  if (settings_.max_body_mb > 0) {
    args.push_back("--max-body-mb");
    args.push_back(std::to_string(settings_.max_body_mb));
  }
  std::map<std::string, std::string> labels = {{"mothership.role", "proxy"},
                                               {"mothership.install", settings_.InstallId()},
                                               {"mothership.data_dir", settings_.data_dir.string()},
                                               {"mothership.networks", joined},
                                               {"mothership.node", node}};
  auto worker = ProxySpec(settings_.proxy_service, labels, *image, args,
                          {Bind(settings_.ProxyDir(), kRoutesDir, true), Bind(run_dir, kRunDir, false)}, targets,
                          "start-first");
  // Swarm stops the old worker only once the new one is healthy: once it
  // knows every running app's tasks and takes the edge's connections (before
  // that, the old one keeps taking them).
  HealthCheckSpec ready;
  ready.test = {"CMD", "test", "-e", kReadyFile};
  ready.interval_ns = kNanosPerSecond;
  ready.timeout_ns = 5 * kNanosPerSecond;
  ready.retries = 3;
  ready.start_period_ns = 30 * kNanosPerSecond;
  worker.health_check = ready;

  auto edge_changed = EnsureService(edge, out);
  if (!edge_changed) return std::unexpected(edge_changed.error());
  auto worker_changed = EnsureService(worker, out);
  if (!worker_changed) return std::unexpected(worker_changed.error());
  if (!*edge_changed && !*worker_changed) return {};
  return WaitServing(*image, joined);
}

Result<void> ProxyService::WaitServing(const std::string& image, const std::string& networks) {
  // A task of this spec runs, and the proxy answers on the port.
  auto deadline = clock_.Now() + std::chrono::seconds(60);
  std::string last;
  while (clock_.Now() < deadline) {
    auto tasks = docker_.ListTasks({{"service", {settings_.proxy_service}}, {"desired-state", {"running"}}});
    bool running = false;
    if (tasks) {
      for (const auto& t : *tasks) {
        auto label = t.container_labels.find("mothership.networks");
        std::string task_networks = label == t.container_labels.end() ? "" : label->second;
        if (t.state == "running" && t.image == image && task_networks == networks) running = true;
        if (!t.error.empty()) last = t.error;
      }
    }
    if (running) {
      auto r = Probe("/");
      if (r && r->status == 404 && !r->Header("x-request-id").empty()) return {};
    }
    clock_.SleepFor(std::chrono::milliseconds(200));
  }
  return Failed(fmt::format("the proxy service {} did not answer on port {} within 60 s{}{}", settings_.proxy_service,
                            settings_.http_port, last.empty() ? "" : ": ", last));
}

Result<HttpResponse> ProxyService::Probe(const std::string& path, const std::string& host) {
  auto client = HttpClient::Tcp(fmt::format("http://127.0.0.1:{}", settings_.http_port), "the proxy", "");
  HttpRequest probe;
  probe.path = path;
  probe.headers = {{"Host", host.empty() ? std::string(contracts::kProbeHost) : host}};
  probe.timeout_seconds = 2;
  return client.Send(probe);
}

Result<void> ProxyService::WaitRouted(const std::string& app) {
  int want = 404;
  {
    std::lock_guard lock(routes_mu_);
    if (auto it = running_.find(app); it != running_.end()) want = it->second ? 200 : 503;
  }
  auto deadline = clock_.Now() + std::chrono::seconds(30);
  std::string last = "no answer";
  const uint64_t since = RoutesGeneration();
  while (true) {
    auto r = Probe(contracts::RoutablePath(app));
    // The routes last written, or later ones, loaded (a proxy that does not
    // say its version is older than this daemon: its status is all there is).
    std::string loaded = r ? r->Header("x-mothership-routes") : "";
    if (r && r->status == want && (loaded.empty() || LoadedSince(loaded, since))) return {};
    // No proxy at all routes nothing: nothing to wait for unless the app must be reached.
    if (!r && want != 200) return {};
    last = r ? fmt::format("HTTP {}", r->status) : r.error().message;
    if (clock_.Now() >= deadline) break;
    clock_.SleepFor(std::chrono::milliseconds(100));
  }
  return Failed(fmt::format("the proxy did not route {} as expected (HTTP {}) within 30 s: {}", app, want, last));
}

bool ProxyService::Answering() { return Probe(contracts::RoutablePath("-")).has_value(); }

uint64_t ProxyService::RoutesGeneration() {
  std::lock_guard lock(routes_mu_);
  return routes_generation_;
}

bool ProxyService::LoadedSince(const std::string& loaded, uint64_t generation) {
  std::lock_guard lock(routes_mu_);
  auto it = version_generation_.find(loaded);
  return it != version_generation_.end() && it->second >= generation;
}

Result<void> ProxyService::WaitLoaded() {
  const uint64_t since = RoutesGeneration();
  auto deadline = clock_.Now() + std::chrono::seconds(30);
  std::string last = "no answer";
  while (true) {
    auto r = Probe(contracts::RoutablePath("-"));
    if (!r) return {};  // no proxy yet: the one that starts reads these routes
    std::string loaded = r->Header("x-mothership-routes");
    if (loaded.empty() || LoadedSince(loaded, since)) return {};
    last = r ? "routes " + loaded : r.error().message;
    if (clock_.Now() >= deadline) break;
    clock_.SleepFor(std::chrono::milliseconds(100));
  }
  return Failed(fmt::format("the proxy did not load its new routes within 30 s ({})", last));
}

Result<void> ProxyService::PublishChallenge(const std::string& token, const std::string& key_authorization,
                                            const std::function<bool()>& cancelled) {
  {
    std::lock_guard lock(routes_mu_);
    challenges_[token] = key_authorization;
  }
  if (auto r = WriteRoutes(); !r) return r;
  auto deadline = clock_.Now() + std::chrono::seconds(10);
  std::string last = "no answer";
  while (true) {
    auto r = Probe("/.well-known/acme-challenge/" + token, "acme-check.invalid");
    if (r && r->status == 200 && r->body == key_authorization) return {};
    last = r ? fmt::format("HTTP {}", r->status) : r.error().message;
    if (cancelled && cancelled()) return Failed("stopped while the proxy was taking an ACME challenge");
    if (clock_.Now() >= deadline) break;
    clock_.SleepFor(std::chrono::milliseconds(100));
  }
  return Failed(fmt::format("the proxy did not answer the ACME challenge on port {} within 10 s ({})",
                            settings_.http_port, last));
}

void ProxyService::WithdrawChallenge(const std::string& token) {
  {
    std::lock_guard lock(routes_mu_);
    challenges_.erase(token);
  }
  if (auto r = WriteRoutes(); !r) LogWarn("cannot withdraw an ACME challenge from the proxy: {}", r.error().message);
}

void ProxyService::AnnounceTasks(const std::string& app, const std::vector<std::string>& addresses) {
  {
    std::lock_guard lock(routes_mu_);
    announced_[app] = {addresses, static_cast<int64_t>(std::time(nullptr)) + kAnnouncedSeconds};
  }
  if (auto r = WriteRoutes(); !r) {
    LogWarn("routes: {}'s new tasks not announced to the proxy: {}", app, r.error().message);
  }
}

Result<void> ProxyService::WriteRoutes() {
  std::lock_guard lock(routes_mu_);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::erase_if(announced_, [&](const auto& a) { return a.second.until <= now; });
  auto apps = store_.ListApps();
  if (!apps) return std::unexpected(apps.error());
  auto services = docker_.ListServices(
      {{"label", {"mothership.install=" + settings_.InstallId(), "mothership.process=web"}}});
  if (!services) return std::unexpected(services.error());
  std::map<std::string, int64_t> replicas;
  for (const auto& s : *services) replicas[s.Label("mothership.app")] = s.replicas;
  contracts::RoutesFile routes{.domain = settings_.domain};
  for (const auto& app : *apps) {
    auto domains = store_.ListDomains(app.name);
    if (!domains) return std::unexpected(domains.error());
    auto it = replicas.find(app.name);
    auto redirect = store_.GetHttpsRedirect(app.name);
    if (!redirect) return std::unexpected(redirect.error());
    auto announced = announced_.find(app.name);
    routes.apps.push_back({.name = app.name,
                           .upstream = fmt::format("tasks.{}:{}", ServiceName(app.name, "web"), 5000),
                           .running = it != replicas.end() && it->second > 0,
                           .domains = std::move(*domains),
                           .redirect_https = *redirect,
                           .tasks = announced == announced_.end() ? std::vector<std::string>{}
                                                                  : announced->second.addresses,
                           .tasks_until = announced == announced_.end() ? 0 : announced->second.until});
  }
  // Certificates. For each host the most specific: the app's own (certs:add),
  // else ACME's for that host; the admin's *.DOMAIN one serves every
  // APP.DOMAIN left (the proxy prefers an exact name to a wildcard).
  auto own = store_.ListCerts("");
  if (!own) return std::unexpected(own.error());
  auto acme = store_.ListAcmeHosts();
  if (!acme) return std::unexpected(acme.error());
  auto wildcard = store_.GetWildcardCert();
  if (!wildcard) return std::unexpected(wildcard.error());
  auto file_of = [](const std::string& name) {
    return std::string(kRoutesDir) + "/" + std::string(kCertsDir) + "/" + name;
  };
  std::map<std::string, const CertRecord*> own_of;  // by app
  for (const auto& c : *own) own_of[c.app] = &c;
  // ACME's: issued, unexpired ones, while ACME is on for the server and for
  // the app (certs:auto:disable takes them away at once; the manager then
  // removes them).
  std::map<std::string, const AcmeHost*> acme_of;  // by host
  const bool acme_on = !settings_.AcmeDirectory().empty();
  std::map<std::string, bool> auto_on;  // by app
  for (const auto& h : *acme) {
    if (!acme_on || h.cert.file.empty() || h.cert.not_after <= now) continue;
    if (!h.app.empty()) {
      auto [it, fresh] = auto_on.try_emplace(h.app, true);
      if (fresh) {
        auto on = store_.GetCertAuto(h.app);
        it->second = on && *on;
      }
      if (!it->second) continue;
    }
    acme_of[h.host] = &h;
  }
  auto add_acme = [&](const std::string& host, const std::string& app) {
    auto it = acme_of.find(host);
    if (it == acme_of.end() || it->second->app != app) return;
    routes.certs.push_back({.hosts = {host},
                            .file = file_of(it->second->cert.file),
                            .version = it->second->cert.added_at});
  };
  if (*wildcard && !settings_.domain.empty()) {
    const std::string name = "*." + settings_.domain;
    const auto& names = (*wildcard)->names;
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      routes.certs.push_back({.hosts = {name}, .file = file_of((*wildcard)->file), .version = (*wildcard)->added_at});
    }
  }
  for (const auto& app : routes.apps) {
    std::vector<std::string> hosts = app.domains;
    if (!settings_.domain.empty()) hosts.push_back(app.name + "." + settings_.domain);
    std::vector<std::string> covered;
    auto it = own_of.find(app.name);
    for (const auto& host : hosts) {
      bool by_own = it != own_of.end() && std::any_of(it->second->names.begin(), it->second->names.end(),
                                                       [&](const std::string& n) { return NameCovers(n, host); });
      if (by_own) {
        covered.push_back(host);
      } else {
        add_acme(host, app.name);
      }
    }
    if (!covered.empty()) {
      routes.certs.push_back({.hosts = std::move(covered), .file = file_of(it->second->file),
                              .version = it->second->added_at});
    }
  }
  if (!settings_.domain.empty()) add_acme(settings_.PlatformHost(), "");
  // The platform's host goes to the daemon's API socket, by its path in the
  // worker's container (DATA_DIR/proxy is mounted at kRoutesDir).
  if (const std::string host = settings_.PlatformHost(); !host.empty()) {
    routes.platform = contracts::PlatformRoute{
        .host = host, .socket = std::string(kRoutesDir) + "/" + settings_.ApiSocketPath().filename().string()};
  }
  routes.acme = challenges_;
  routes.hsts_max_age = settings_.hsts_max_age_seconds;
  // The version names the content: the same routes, the same version.
  routes.version = Sha256::Digest(contracts::ToJson(routes)).substr(7, 16);
  // Which write each version came from (the newest of the same content): a
  // waiter accepts the routes it waits for or any written after them.
  version_generation_[routes.version] = ++routes_generation_;
  if (version_generation_.size() > 256) {
    auto oldest = std::min_element(version_generation_.begin(), version_generation_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    version_generation_.erase(oldest);
  }
  running_.clear();
  for (const auto& a : routes.apps) running_[a.name] = a.running;
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
