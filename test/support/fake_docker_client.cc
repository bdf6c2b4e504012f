#include "test/support/fake_docker_client.h"

#include <fmt/format.h>

#include <algorithm>

#include "server/docker/ownership.h"

namespace ms::test {
namespace {

bool Failure(const std::string& state) { return state == "failed" || state == "rejected"; }

// Whether a task runs a spec (what Swarm compares: the container and force_update).
bool Current(const TaskInfo& t, const ServiceSpec& spec) {
  return t.image == spec.image && t.container_labels == spec.container_labels && t.force_update == spec.force_update;
}

// "k=v" or "k" against labels.
bool Matches(const Labels& labels, const std::string& filter) {
  auto eq = filter.find('=');
  auto it = labels.find(filter.substr(0, eq));
  if (it == labels.end()) return false;
  return eq == std::string::npos || it->second == filter.substr(eq + 1);
}

}  // namespace

FakeDockerClient::FakeDockerClient() {
  nodes_.push_back({"node-1", "manager1", "manager", "active", "ready", "10.0.0.1"});
  info_.swarm_state = "active";
  info_.control_available = true;
  info_.node_id = "node-1";
  info_.node_addr = "10.0.0.1";
  scripts_[""] = TaskScript{};
}

// --- Scripting and inspection ------------------------------------------------

void FakeDockerClient::ScriptRelease(const std::string& release, TaskScript script) {
  std::lock_guard lock(mu_);
  scripts_[release] = std::move(script);
}

void FakeDockerClient::FailNext(const std::string& method, Error error) {
  std::lock_guard lock(mu_);
  failures_[method].push_back(std::move(error));
}

std::string FakeDockerClient::AddRunningService(const ServiceSpec& spec) {
  std::lock_guard lock(mu_);
  FakeService s;
  s.spec = spec;
  s.id = fmt::format("svc-{}", next_id_++);
  auto& stored = services_[s.id] = s;
  Reconcile(stored);
  for (auto& t : tasks_) {
    if (t.info.service_id == stored.id) {
      t.info.state = "running";
      t.step = t.script.states.size();
    }
  }
  return stored.id;
}

std::string FakeDockerClient::AddNode(const std::string& hostname, const std::string& role) {
  std::lock_guard lock(mu_);
  std::string id = fmt::format("node-{}", nodes_.size() + 1);
  nodes_.push_back({id, hostname, role, "active", "ready", fmt::format("10.0.0.{}", nodes_.size() + 1)});
  return id;
}

void FakeDockerClient::SetNodeDown(const std::string& node_id) {
  std::lock_guard lock(mu_);
  for (auto& n : nodes_) {
    if (n.id == node_id) n.state = "down";
  }
  std::vector<std::pair<std::string, int>> moved;
  for (auto& t : tasks_) {
    if (t.info.node_id == node_id && t.info.desired_state == "running") {
      t.info.state = "orphaned";
      t.info.desired_state = "shutdown";
      moved.emplace_back(t.info.service_id, t.info.slot);
    }
  }
  for (const auto& [service, slot] : moved) {
    if (auto it = services_.find(service); it != services_.end()) StartTask(it->second, slot);
  }
}

void FakeDockerClient::AddImage(const std::string& name, const std::string& id, const Labels& labels) {
  std::lock_guard lock(mu_);
  ImageInfo info;
  info.id = id;
  info.repo_tags = {name};
  info.labels = labels;
  images_[name] = info;
}

void FakeDockerClient::AddImage(const std::string& name, const ImageInfo& info) {
  std::lock_guard lock(mu_);
  images_[name] = info;
}

void FakeDockerClient::ScriptServiceLogs(const std::string& service, std::vector<std::string> lines) {
  std::lock_guard lock(mu_);
  service_logs_[service] = std::move(lines);
}

void FakeDockerClient::ScriptContainer(const std::string& key, std::string output, int exit_code) {
  std::lock_guard lock(mu_);
  container_scripts_[key] = {std::move(output), exit_code};
}

void FakeDockerClient::ScriptOomKill(const std::string& key, OomReport report) {
  std::lock_guard lock(mu_);
  oom_reports_[key] = report;
}

void FakeDockerClient::SetNetworkBusy(int times) {
  std::lock_guard lock(mu_);
  network_busy_ = times;
}

void FakeDockerClient::SetRemovedTasksLinger(int looks) {
  std::lock_guard lock(mu_);
  removed_linger_ = looks;
}

void FakeDockerClient::SetEngineInfo(EngineInfo info) {
  std::lock_guard lock(mu_);
  info_ = std::move(info);
}

std::vector<std::string> FakeDockerClient::Calls() {
  std::lock_guard lock(mu_);
  return calls_;
}

int FakeDockerClient::CountCalls(const std::string& prefix) {
  std::lock_guard lock(mu_);
  return static_cast<int>(
      std::count_if(calls_.begin(), calls_.end(), [&](const std::string& c) { return c.starts_with(prefix); }));
}

std::optional<ServiceSpec> FakeDockerClient::LastSpec(const std::string& service_name) {
  std::lock_guard lock(mu_);
  auto it = last_specs_.find(service_name);
  if (it == last_specs_.end()) return std::nullopt;
  return it->second;
}

std::optional<ServiceInfo> FakeDockerClient::Service(const std::string& name_or_id) {
  std::lock_guard lock(mu_);
  auto* s = FindService(name_or_id);
  if (!s) return std::nullopt;
  return InfoOf(*s);
}

std::vector<TaskInfo> FakeDockerClient::Tasks(const std::string& service_name) {
  std::lock_guard lock(mu_);
  std::vector<TaskInfo> out;
  auto* s = FindService(service_name);
  if (!s) return out;
  for (const auto& t : tasks_) {
    if (t.info.service_id == s->id) out.push_back(t.info);
  }
  return out;
}

std::vector<std::string> FakeDockerClient::ServiceNames() {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, s] : services_) out.push_back(s.spec.name);
  std::sort(out.begin(), out.end());
  return out;
}

std::set<std::string> FakeDockerClient::ContainerIds() {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [id, c] : containers_) out.insert(id);
  return out;
}

std::set<std::string> FakeDockerClient::ImageNames() {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [name, i] : images_) out.insert(name);
  return out;
}

std::set<std::string> FakeDockerClient::NetworkNames() {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [name, labels] : networks_) out.insert(name);
  return out;
}

std::set<std::string> FakeDockerClient::VolumeNames() {
  std::lock_guard lock(mu_);
  return volumes_;
}

std::optional<ContainerSpec> FakeDockerClient::ContainerSpecOf(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return std::nullopt;
  return it->second.spec;
}

// --- The simulation ------------------------------------------------------------

std::optional<Error> FakeDockerClient::Record(const std::string& method, const std::string& detail) {
  calls_.push_back(detail.empty() ? method : method + " " + detail);
  auto it = failures_.find(method);
  if (it == failures_.end() || it->second.empty()) return std::nullopt;
  Error e = it->second.front();
  it->second.erase(it->second.begin());
  return e;
}

FakeDockerClient::FakeService* FakeDockerClient::FindService(const std::string& name_or_id) {
  for (auto& [id, s] : services_) {
    if (id == name_or_id || s.spec.name == name_or_id) return &s;
  }
  return nullptr;
}

ServiceInfo FakeDockerClient::InfoOf(const FakeService& s) const {
  ServiceInfo i;
  i.id = s.id;
  i.name = s.spec.name;
  i.version = s.version;
  i.labels = s.spec.labels;
  i.image = s.spec.image;
  i.args = s.spec.args;
  i.container_labels = s.spec.container_labels;
  i.global = s.spec.global;
  i.replicas = s.spec.global ? 0 : s.spec.replicas;
  i.force_update = s.spec.force_update;
  i.update_state = s.update_state;
  i.update_message = s.update_message;
  return i;
}

std::string FakeDockerClient::ReleaseOf(const ServiceSpec& spec) const {
  auto it = spec.container_labels.find("mothership.release");
  return it == spec.container_labels.end() ? "" : it->second;
}

std::string FakeDockerClient::PickNode() {
  for (const auto& n : nodes_) {
    if (n.state == "ready" && n.availability == "active") return n.id;
  }
  return "";
}

void FakeDockerClient::StartTask(FakeService& s, int slot) {
  FakeTask t;
  std::string release = ReleaseOf(s.spec);
  auto script = scripts_.find(release);
  t.script = script == scripts_.end() ? scripts_[""] : script->second;
  t.info.id = fmt::format("task-{}", next_id_++);
  t.info.service_id = s.id;
  t.info.slot = slot;
  t.info.node_id = PickNode();
  t.info.state = t.info.node_id.empty() ? "pending" : "assigned";
  t.info.desired_state = "running";
  t.info.image = s.spec.image;
  t.info.container_labels = s.spec.container_labels;
  t.info.release = release;
  t.info.force_update = s.spec.force_update;
  for (const auto& n : s.spec.networks) t.info.addresses[n.target] = fmt::format("10.0.{}.{}", next_id_ / 250, next_id_ % 250 + 2);
  t.info.timestamp = t.info.updated_at = fmt::format("2026-01-01T00:00:{:02}Z", ++clock_ % 60);
  tasks_.push_back(std::move(t));
}

void FakeDockerClient::Reconcile(FakeService& s) {
  int replicas = s.spec.global ? 1 : s.spec.replicas;
  for (int slot = 1; slot <= replicas; ++slot) {
    bool current = false;
    for (const auto& t : tasks_) {
      current = current || (t.info.service_id == s.id && t.info.slot == slot && t.info.desired_state == "running" &&
                            Current(t.info, s.spec));
    }
    if (!current) StartTask(s, slot);
  }
  for (auto& t : tasks_) {
    if (t.info.service_id == s.id && t.info.slot > replicas && t.info.desired_state == "running") {
      t.info.desired_state = "shutdown";
      t.info.state = "shutdown";
    }
  }
}

void FakeDockerClient::RetireStale(FakeService& s) {
  for (auto& t : tasks_) {
    if (t.info.service_id == s.id && t.info.desired_state == "running" && !Current(t.info, s.spec) &&
        t.info.state != "running") {
      t.info.desired_state = "shutdown";
      t.info.state = "shutdown";
    }
  }
}

void FakeDockerClient::Step(FakeService& s) {
  bool updating = s.update_state == "updating";
  std::string failure;
  std::vector<int> restart;
  for (auto& t : tasks_) {
    if (t.info.service_id != s.id || t.info.desired_state != "running") continue;
    if (t.step < t.script.states.size()) {
      t.info.state = t.script.states[t.step++];
      t.info.timestamp = t.info.updated_at = fmt::format("2026-01-01T00:01:{:02}Z", ++clock_ % 60);
    }
    if (Failure(t.info.state)) {
      t.info.error = t.script.error.empty() ? "task: non-zero exit (1)" : t.script.error;
      t.info.desired_state = "shutdown";
      failure = t.info.error;
      if (!updating) restart.push_back(t.info.slot);
    }
  }
  if (updating && !failure.empty() && s.spec.update.failure_action == "rollback" && s.previous) {
    s.update_state = "rollback_started";
    s.update_message = "update rolled back due to failure or early termination of task " + failure;
    s.spec = *s.previous;
    s.previous.reset();
    ++s.version;
    RetireStale(s);
    Reconcile(s);
    return;
  }
  if (updating && !failure.empty()) {
    s.update_state = "paused";
    s.update_message = "update paused due to failure or early termination of task " + failure;
    return;
  }
  for (int slot : restart) StartTask(s, slot);
  // A slot whose newest task runs retires its older ones (start-first).
  std::map<int, std::string> newest_running;
  for (const auto& t : tasks_) {
    if (t.info.service_id == s.id && t.info.desired_state == "running" && t.info.state == "running" &&
        Current(t.info, s.spec)) {
      newest_running[t.info.slot] = t.info.id;
    }
  }
  for (auto& t : tasks_) {
    auto it = newest_running.find(t.info.slot);
    if (t.info.service_id == s.id && it != newest_running.end() && it->second != t.info.id &&
        t.info.desired_state == "running") {
      t.info.desired_state = "shutdown";
      t.info.state = "shutdown";
    }
  }
  int replicas = s.spec.global ? 1 : s.spec.replicas;
  bool all = static_cast<int>(newest_running.size()) >= replicas;
  if (all && s.update_state == "updating") s.update_state = "completed";
  if (s.update_state == "rollback_started") {
    bool live = false;
    for (const auto& t : tasks_) {
      live = live || (t.info.service_id == s.id && t.info.desired_state == "running" && t.info.state != "running");
    }
    if (!live) s.update_state = "rollback_completed";
  }
}

std::string FakeDockerClient::Key(const ContainerSpec& spec) const {
  auto role = spec.labels.find("mothership.role");
  if (role != spec.labels.end() && container_scripts_.contains(role->second)) return role->second;
  return spec.cmd.empty() ? "" : spec.cmd[0];
}

// --- DockerClient ------------------------------------------------------------

#define MS_FAKE_RECORD(method, detail)                     \
  std::lock_guard lock(mu_);                               \
  if (auto failed = Record(method, detail); failed) return std::unexpected(*failed)

Result<std::string> FakeDockerClient::ApiVersion() {
  MS_FAKE_RECORD("ApiVersion", "");
  return std::string("1.41");
}

Result<bool> FakeDockerClient::ImageExists(const std::string& image) {
  MS_FAKE_RECORD("ImageExists", image);
  return images_.contains(image);
}

Result<ImageInfo> FakeDockerClient::InspectImage(const std::string& image) {
  MS_FAKE_RECORD("InspectImage", image);
  auto it = images_.find(image);
  if (it == images_.end()) return NotFound(fmt::format("No such image: {}", image));
  return it->second;
}

Result<void> FakeDockerClient::ImportImage(const std::filesystem::path&, const std::string& repo,
                                           const std::string& tag) {
  MS_FAKE_RECORD("ImportImage", repo + ":" + tag);
  images_[repo + ":" + tag] = ImageInfo{fmt::format("sha256:{}", next_id_++), {repo + ":" + tag}, {}, {}, {}, {}, {}};
  return {};
}

Result<void> FakeDockerClient::BuildImage(const std::filesystem::path&, const std::string& tag,
                                          const std::map<std::string, std::string>& build_args, const LineSink& out,
                                          const BuildOptions&) {
  {
    MS_FAKE_RECORD("BuildImage", tag);
    images_[tag] = ImageInfo{fmt::format("sha256:{}", next_id_++), {tag}, {}, {}, {}, {}, {"/bin/sh"}};
    // As the stack Dockerfiles do: LABEL mothership.stack=${STACK_HASH}.
    if (auto hash = build_args.find("STACK_HASH"); hash != build_args.end()) {
      images_[tag].labels["mothership.stack"] = hash->second;
    }
  }
  if (out) out("Step 1/1 : FROM scratch");  // (callbacks run unlocked: they may call back)
  return {};
}

Result<void> FakeDockerClient::PushImage(const std::string& repo, const std::string& tag, const LineSink&) {
  MS_FAKE_RECORD("PushImage", repo + ":" + tag);
  return {};
}

Result<void> FakeDockerClient::PullImage(const std::string& repo, const std::string& tag, const LineSink&) {
  MS_FAKE_RECORD("PullImage", repo + ":" + tag);
  return {};
}

Result<void> FakeDockerClient::TagImage(const std::string& image, const std::string& repo, const std::string& tag) {
  MS_FAKE_RECORD("TagImage", image + " " + repo + ":" + tag);
  auto it = images_.find(image);
  if (it == images_.end()) return NotFound(fmt::format("No such image: {}", image));
  images_[repo + ":" + tag] = it->second;
  return {};
}

Result<void> FakeDockerClient::RemoveImage(const std::string& image) {
  MS_FAKE_RECORD("RemoveImage", image);
  if (!images_.erase(image)) return NotFound(fmt::format("No such image: {}", image));
  return {};
}

Result<void> FakeDockerClient::EnsureVolume(const std::string& name,
                                            const std::map<std::string, std::string>& labels) {
  MS_FAKE_RECORD("EnsureVolume", name);
  volumes_.insert(name);
  volume_labels_.emplace(name, labels);
  return {};
}

Result<void> FakeDockerClient::RemoveVolume(const std::string& name) {
  MS_FAKE_RECORD("RemoveVolume", name);
  volumes_.erase(name);
  volume_labels_.erase(name);
  return {};
}

Result<std::vector<std::string>> FakeDockerClient::ListVolumes(const std::string& label_filter) {
  MS_FAKE_RECORD("ListVolumes", label_filter);
  auto eq = label_filter.find('=');
  const std::string key = label_filter.substr(0, eq);
  std::vector<std::string> names;
  for (const auto& [name, labels] : volume_labels_) {
    auto it = labels.find(key);
    if (it != labels.end() && (eq == std::string::npos || it->second == label_filter.substr(eq + 1))) {
      names.push_back(name);
    }
  }
  return names;
}

Result<std::string> FakeDockerClient::CreateContainer(const ContainerSpec& spec) {
  MS_FAKE_RECORD("CreateContainer", spec.image);
  FakeContainer c;
  c.spec = spec;
  c.id = fmt::format("ctr-{}", next_id_++);
  containers_[c.id] = c;
  return c.id;
}

Result<void> FakeDockerClient::StartContainer(const std::string& id) {
  MS_FAKE_RECORD("StartContainer", id);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound(fmt::format("No such container: {}", id));
  it->second.running = true;
  return {};
}

Result<ContainerInfo> FakeDockerClient::InspectContainer(const std::string& id) {
  MS_FAKE_RECORD("InspectContainer", id);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound(fmt::format("No such container: {}", id));
  ContainerInfo c;
  c.id = id;
  c.name = it->second.spec.name;
  c.image = it->second.spec.image;
  c.running = it->second.running;
  c.labels = it->second.spec.labels;
  if (!it->second.spec.network_mode.empty()) c.networks = {it->second.spec.network_mode};
  auto oom = oom_reports_.find(Key(it->second.spec));
  c.oom_killed = !c.running && oom != oom_reports_.end() && oom->second == OomReport::kState;
  return c;
}

Result<void> FakeDockerClient::FollowLogs(const std::string& id, const LineSink& out) {
  std::string text;
  {
    MS_FAKE_RECORD("FollowLogs", id);
    auto it = containers_.find(id);
    if (it == containers_.end()) return NotFound(fmt::format("No such container: {}", id));
    auto script = container_scripts_.find(Key(it->second.spec));
    if (script != container_scripts_.end()) text = script->second.first;
  }
  if (!text.empty() && out) out(text);
  return {};
}

Result<int> FakeDockerClient::WaitContainer(const std::string& id) {
  MS_FAKE_RECORD("WaitContainer", id);
  auto it = containers_.find(id);
  if (it == containers_.end()) return NotFound(fmt::format("No such container: {}", id));
  it->second.running = false;
  auto script = container_scripts_.find(Key(it->second.spec));
  return script == container_scripts_.end() ? 0 : script->second.second;
}

Result<bool> FakeDockerClient::OomEvent(const std::string& id, int64_t since, int64_t until) {
  MS_FAKE_RECORD("OomEvent", id);
  auto it = containers_.find(id);
  if (it == containers_.end() || since > until) return false;
  auto oom = oom_reports_.find(Key(it->second.spec));
  return oom != oom_reports_.end() && oom->second != OomReport::kNone;
}

Result<int> FakeDockerClient::Exec(const std::string& id, const std::vector<std::string>& cmd, const LineSink&,
                                   const std::function<bool(std::string_view)>&) {
  MS_FAKE_RECORD("Exec", id + (cmd.empty() ? "" : " " + cmd[0]));
  if (!containers_.contains(id)) return NotFound(fmt::format("No such container: {}", id));
  return 0;
}

Result<void> FakeDockerClient::StopContainer(const std::string& id, int) {
  MS_FAKE_RECORD("StopContainer", id);
  if (auto it = containers_.find(id); it != containers_.end()) it->second.running = false;
  return {};
}

Result<void> FakeDockerClient::RemoveContainer(const std::string& id) {
  MS_FAKE_RECORD("RemoveContainer", id);
  if (!containers_.erase(id)) return NotFound(fmt::format("No such container: {}", id));
  return {};
}

Result<std::vector<ContainerSummary>> FakeDockerClient::ListContainers(const std::string& label_filter) {
  MS_FAKE_RECORD("ListContainers", label_filter);
  std::vector<ContainerSummary> out;
  for (const auto& [id, c] : containers_) {
    if (Matches(c.spec.labels, label_filter)) out.push_back({id, "/" + c.spec.name, c.spec.labels});
  }
  return out;
}

Result<void> FakeDockerClient::Attach(const std::string& id, int, const std::function<bool(int, std::string_view)>& out,
                                      bool, const std::function<bool()>&) {
  std::string text;
  {
    MS_FAKE_RECORD("Attach", id);
    auto it = containers_.find(id);
    if (it == containers_.end()) return NotFound(fmt::format("No such container: {}", id));
    it->second.running = true;
    auto script = container_scripts_.find(Key(it->second.spec));
    if (script != container_scripts_.end()) text = script->second.first;
  }
  if (!text.empty() && out) out(1, text);
  return {};
}

Result<EngineInfo> FakeDockerClient::Info() {
  MS_FAKE_RECORD("Info", "");
  return info_;
}

Result<void> FakeDockerClient::SwarmInit(const std::string& advertise_addr) {
  MS_FAKE_RECORD("SwarmInit", advertise_addr);
  info_.swarm_state = "active";
  info_.control_available = true;
  return {};
}

Result<SwarmInfo> FakeDockerClient::SwarmInspect() {
  MS_FAKE_RECORD("SwarmInspect", "");
  return SwarmInfo{"SWMTKN-worker", "SWMTKN-manager"};
}

Result<std::string> FakeDockerClient::EnsureBridgeNetwork(const std::string& name, const Labels& labels,
                                                          const std::map<std::string, std::string>&) {
  return EnsureOverlayNetwork(name, labels);
}

Result<std::string> FakeDockerClient::EnsureOverlayNetwork(const std::string& name,
                                                           const std::map<std::string, std::string>& labels) {
  MS_FAKE_RECORD("EnsureOverlayNetwork", name);
  if (auto it = networks_.find(name); it != networks_.end()) {
    auto want = [&](const char* key) { return labels.contains(key) ? labels.at(key) : std::string(); };
    if (auto owner = ForeignOwner(it->second, want("mothership.install"), want("mothership.app"));
        labels.contains("mothership.install") && !owner.empty()) {
      return AlreadyExists(fmt::format("the Docker network {} belongs to {}", name, owner));
    }
    return "net-" + name;
  }
  networks_[name] = labels;
  return "net-" + name;
}

Result<void> FakeDockerClient::RemoveNetwork(const std::string& name) {
  MS_FAKE_RECORD("RemoveNetwork", name);
  if (network_busy_ > 0) {
    --network_busy_;
    return Failed(fmt::format("error while removing network: network {} has active endpoints", name));
  }
  networks_.erase(name);
  return {};
}

Result<std::optional<ServiceInfo>> FakeDockerClient::InspectService(const std::string& name) {
  MS_FAKE_RECORD("InspectService", name);
  auto* s = FindService(name);
  if (!s) return std::optional<ServiceInfo>();
  return std::optional<ServiceInfo>(InfoOf(*s));
}

Result<std::string> FakeDockerClient::CreateService(const ServiceSpec& spec) {
  MS_FAKE_RECORD("CreateService", spec.name);
  if (FindService(spec.name)) return AlreadyExists(fmt::format("service {} already exists", spec.name));
  last_specs_[spec.name] = spec;
  FakeService s;
  s.spec = spec;
  s.id = fmt::format("svc-{}", next_id_++);
  auto& stored = services_[s.id] = s;
  Reconcile(stored);
  return stored.id;
}

Result<void> FakeDockerClient::UpdateService(const std::string& id, uint64_t version, const ServiceSpec& spec) {
  MS_FAKE_RECORD("UpdateService", spec.name);
  auto* s = FindService(id);
  if (!s) return NotFound(fmt::format("service {} not found", id));
  if (version != s->version) return Failed("update out of sequence");
  last_specs_[spec.name] = spec;
  s->previous = s->spec;
  s->spec = spec;
  ++s->version;
  s->update_state = "updating";
  s->update_message = "update in progress";
  Reconcile(*s);
  return {};
}

Result<void> FakeDockerClient::RollbackService(const std::string& id) {
  auto* found = FindService(id);
  MS_FAKE_RECORD("RollbackService", found ? found->spec.name : id);
  auto* s = FindService(id);
  if (!s) return NotFound(fmt::format("service {} not found", id));
  if (!s->previous) return Failed("service has no previous spec to roll back to");
  s->spec = *s->previous;
  s->previous.reset();
  ++s->version;
  s->update_state = "rollback_started";
  s->update_message = "manually requested rollback";
  RetireStale(*s);
  Reconcile(*s);
  return {};
}

Result<void> FakeDockerClient::RemoveService(const std::string& name) {
  auto* found = FindService(name);
  MS_FAKE_RECORD("RemoveService", found ? found->spec.name : name);
  auto* s = FindService(name);
  if (!s) return {};
  std::string id = s->id;
  if (removed_linger_ > 0) {
    RemovedTasks removed;
    removed.looks = removed_linger_;
    for (const auto& t : tasks_) {
      if (t.info.service_id != id) continue;
      removed.tasks.push_back(t.info);
      removed.tasks.back().desired_state = "remove";
    }
    for (const auto& m : s->spec.mounts) {
      if (m.volume) removed.volumes.push_back(m.source);
    }
    removed_.push_back(std::move(removed));
  }
  std::erase_if(tasks_, [&](const FakeTask& t) { return t.info.service_id == id; });
  services_.erase(id);
  return {};
}

Result<std::vector<ServiceInfo>> FakeDockerClient::ListServices(const EngineFilters& filters) {
  MS_FAKE_RECORD("ListServices", "");
  std::vector<ServiceInfo> out;
  for (const auto& [id, s] : services_) {
    bool ok = true;
    if (auto it = filters.find("label"); it != filters.end()) {
      for (const auto& f : it->second) ok = ok && Matches(s.spec.labels, f);
    }
    if (auto it = filters.find("name"); it != filters.end()) {
      ok = ok && std::find(it->second.begin(), it->second.end(), s.spec.name) != it->second.end();
    }
    if (ok) out.push_back(InfoOf(s));
  }
  return out;
}

Result<std::vector<TaskInfo>> FakeDockerClient::ListTasks(const EngineFilters& filters) {
  MS_FAKE_RECORD("ListTasks", "");
  std::set<std::string> ids;
  auto services = filters.find("service");
  for (auto& [id, s] : services_) {
    bool wanted = services == filters.end() ||
                  std::find(services->second.begin(), services->second.end(), s.spec.name) != services->second.end() ||
                  std::find(services->second.begin(), services->second.end(), id) != services->second.end();
    if (!wanted) continue;
    ids.insert(id);
    Step(s);  // each look is one step of time
  }
  auto desired = filters.find("desired-state");
  std::vector<TaskInfo> out;
  for (const auto& t : tasks_) {
    if (!ids.contains(t.info.service_id)) continue;
    if (desired != filters.end() &&
        std::find(desired->second.begin(), desired->second.end(), t.info.desired_state) == desired->second.end()) {
      continue;
    }
    out.push_back(t.info);
  }
  // The removed services' tasks that have not stopped yet.
  for (auto& r : removed_) {
    if (--r.looks == 0) {
      for (const auto& v : r.volumes) volumes_.insert(v);
      continue;
    }
    for (const auto& t : r.tasks) {
      if (services == filters.end() &&
          (desired == filters.end() ||
           std::find(desired->second.begin(), desired->second.end(), t.desired_state) != desired->second.end())) {
        out.push_back(t);
      }
    }
  }
  std::erase_if(removed_, [](const RemovedTasks& r) { return r.looks <= 0; });
  return out;
}

Result<std::vector<NodeInfo>> FakeDockerClient::ListNodes() {
  MS_FAKE_RECORD("ListNodes", "");
  return nodes_;
}

Result<void> FakeDockerClient::ServiceLogs(const std::string& service, int, bool follow, const LineSink& out,
                                           const std::function<bool()>&) {
  std::vector<std::string> lines;
  {
    MS_FAKE_RECORD("ServiceLogs", service);
    if (!FindService(service)) return NotFound(fmt::format("{} is not running", service));
    if (auto it = service_logs_.find(service); it != service_logs_.end() && !follow) lines = it->second;
  }
  if (out) {
    for (const auto& line : lines) out(line);
  }
  return {};
}

Result<std::string> FakeDockerClient::TaskLogs(const std::string& task_id, int) {
  MS_FAKE_RECORD("TaskLogs", task_id);
  for (const auto& t : tasks_) {
    if (t.info.id == task_id) return t.script.logs;
  }
  return NotFound(fmt::format("no such task: {}", task_id));
}

Result<void> FakeDockerClient::PutArchive(const std::string& id, const std::string& path, const std::filesystem::path&) {
  MS_FAKE_RECORD("PutArchive", id + " " + path);
  if (!containers_.contains(id)) return NotFound(fmt::format("No such container: {}", id));
  return {};
}

Result<void> FakeDockerClient::GetArchive(const std::string& id, const std::string& path, const std::filesystem::path&) {
  MS_FAKE_RECORD("GetArchive", id + " " + path);
  if (!containers_.contains(id)) return NotFound(fmt::format("No such container: {}", id));
  return {};
}

#undef MS_FAKE_RECORD

}  // namespace ms::test
