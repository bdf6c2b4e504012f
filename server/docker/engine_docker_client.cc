#include "server/common/base64.h"
#include "server/common/json.h"
#include "server/docker/engine_docker_client.h"

#include "server/docker/engine_json.h"
#include "server/docker/engine_request.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <fstream>

namespace ms {

using engine::ErrorMessage;
using engine::FrameSplitter;
using engine::LineSplitter;
using engine::Req;
using engine::Upload;

std::string UrlEncode(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

bool ApiVersionLess(const std::string& a, const std::string& b) {
  int a1 = 0, a2 = 0, b1 = 0, b2 = 0;
  std::sscanf(a.c_str(), "%d.%d", &a1, &a2);
  std::sscanf(b.c_str(), "%d.%d", &b1, &b2);
  return a1 != b1 ? a1 < b1 : a2 < b2;
}

Result<std::string> EngineDockerClient::ApiVersion() {
  std::lock_guard lock(mu_);
  if (version_) return *version_;
  HttpRequest request = Req("GET", "/version");
  request.timeout_seconds = 30;
  auto r = http_.Send(request);
  if (!r) return std::unexpected(r.error());
  if (r->status != 200) return Unavailable(fmt::format("the Docker engine answered /version with {}", ErrorMessage(*r)));
  auto body = nlohmann::json::parse(r->body, nullptr, false);
  if (!body.is_object() || !body.contains("ApiVersion")) return Failed("the Docker engine sent no ApiVersion");
  std::string server = body["ApiVersion"];
  version_ = ApiVersionLess(server, kClientApiVersion) ? server : kClientApiVersion;
  return *version_;
}

Result<std::string> EngineDockerClient::Path(const std::string& path) {
  auto v = ApiVersion();
  if (!v) return std::unexpected(v.error());
  return "/v" + *v + path;
}

Result<HttpResponse> EngineDockerClient::Call(HttpRequest request, std::initializer_list<long> ok) {
  auto path = Path(request.path);
  if (!path) return std::unexpected(path.error());
  request.path = *path;
  auto r = http_.Send(request);
  if (!r) return std::unexpected(r.error());
  for (long code : ok) {
    if (r->status == code) return r;
  }
  if (r->status == 404) return NotFound(ErrorMessage(*r));
  if (r->status == 409) return AlreadyExists(ErrorMessage(*r));
  return Failed(fmt::format("Docker engine: {}", ErrorMessage(*r)));
}

Result<bool> EngineDockerClient::ImageExists(const std::string& image) {
  auto r = InspectImage(image);
  if (r) return true;
  if (r.error().code == ErrorCode::kNotFound) return false;
  return std::unexpected(r.error());
}

Result<ImageInfo> EngineDockerClient::InspectImage(const std::string& image) {
  auto r = Call(Req("GET", "/images/" + image + "/json"), {200});
  if (!r) return std::unexpected(r.error());
  return engine::ParseImage(nlohmann::json::parse(r->body, nullptr, false));
}

Result<void> EngineDockerClient::StreamProgress(HttpRequest request, const LineSink& out,
                                                const std::string& what) {
  auto path = Path(request.path);
  if (!path) return std::unexpected(path.error());
  request.path = *path;
  std::string error;
  std::string raw;
  LineSplitter lines([&](std::string_view line) {
    auto msg = nlohmann::json::parse(line, nullptr, false);
    if (!msg.is_object()) return;
    if (msg.contains("error")) {
      error = msg["error"].is_string() ? msg["error"].get<std::string>() : DumpJson(msg["error"]);
      return;
    }
    std::string text;
    if (msg.contains("stream") && msg["stream"].is_string()) text = msg["stream"];
    else if (msg.contains("status") && msg["status"].is_string() && !msg.contains("progress")) {
      text = msg["status"];  // progress bars are dropped; the step lines remain
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (!text.empty() && out) out(text);
  });
  auto r = http_.Stream(request, [&](std::string_view data) {
    if (raw.size() < 4096) raw.append(data.substr(0, 4096));
    lines.Feed(data);
    return true;
  });
  lines.Flush();
  if (!r) return std::unexpected(r.error());
  if (r->status >= 400) {
    HttpResponse copy;
    copy.status = r->status;
    copy.body = raw;
    return Failed(fmt::format("{} failed: {}", what, ErrorMessage(copy)));
  }
  if (!error.empty()) return Failed(fmt::format("{} failed: {}", what, error));
  return {};
}

Result<void> EngineDockerClient::ImportImage(const std::filesystem::path& rootfs_tar,
                                             const std::string& repo, const std::string& tag) {
  HttpRequest request = Upload(
      "POST", fmt::format("/images/create?fromSrc=-&repo={}&tag={}", UrlEncode(repo), UrlEncode(tag)),
      rootfs_tar, {{"Content-Type", "application/x-tar"}});
  return StreamProgress(request, nullptr, "importing " + repo + ":" + tag);
}

Result<void> EngineDockerClient::BuildImage(const std::filesystem::path& context_tar,
                                            const std::string& tag,
                                            const std::map<std::string, std::string>& build_args,
                                            const LineSink& out, const BuildOptions& options) {
  const ResourceLimits& limits = options.limits;
  std::string path = fmt::format("/build?t={}&rm=1&forcerm=1", UrlEncode(tag));
  if (limits.memory_bytes > 0) path += fmt::format("&memory={0}&memswap={0}", limits.memory_bytes);
  if (limits.nano_cpus > 0) path += fmt::format("&cpuperiod=100000&cpuquota={}", limits.nano_cpus / 10000);
  if (limits.cpu_shares > 0) path += fmt::format("&cpushares={}", limits.cpu_shares);
  if (!build_args.empty()) path += "&buildargs=" + UrlEncode(DumpJson(nlohmann::json(build_args)));
  if (!options.network.empty()) path += "&networkmode=" + UrlEncode(options.network);
  if (!options.cgroup_parent.empty()) path += "&cgroupparent=" + UrlEncode(options.cgroup_parent);
  HttpRequest request = Upload("POST", path, context_tar, {{"Content-Type", "application/x-tar"}});
  // A FROM of the app's own image pulls it from our registry.
  if (!registry_config_.empty()) request.headers["X-Registry-Config"] = registry_config_;
  // The engine stops the build (and its running step) when the client goes.
  request.cancelled = options.cancelled;
  auto built = StreamProgress(request, out, "building " + tag);
  // A cancelled transfer ends like a finished one: ask.
  if (options.cancelled && options.cancelled()) return Busy("the build was stopped");
  return built;
}

void EngineDockerClient::UseRegistryCredentials(std::string registry, std::string username, std::string password) {
  // The engine reads both headers as URL-safe base64 of JSON.
  registry_auth_ = Base64Encode(
      DumpJson(nlohmann::json{{"username", username}, {"password", password}, {"serveraddress", registry}}), true);
  registry_config_ =
      Base64Encode(DumpJson(nlohmann::json{{registry, {{"username", username}, {"password", password}}}}), true);
  registry_ = std::move(registry);
}

std::string EngineDockerClient::RegistryAuth(const std::string& image) const {
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  if (!registry_.empty() && lower(image).starts_with(lower(registry_) + "/")) return registry_auth_;
  return "e30=";  // {}: no login
}

Result<void> EngineDockerClient::PushImage(const std::string& repo, const std::string& tag,
                                           const LineSink& out) {
  HttpRequest request = Req("POST", fmt::format("/images/{}/push?tag={}", repo, UrlEncode(tag)), "",
                            {{"X-Registry-Auth", RegistryAuth(repo)}});
  return StreamProgress(request, out, "pushing " + repo + ":" + tag);
}

Result<void> EngineDockerClient::PullImage(const std::string& repo, const std::string& tag,
                                           const LineSink& out) {
  HttpRequest request = Req("POST", fmt::format("/images/create?fromImage={}&tag={}", UrlEncode(repo), UrlEncode(tag)),
                            "", {{"X-Registry-Auth", RegistryAuth(repo)}});
  return StreamProgress(request, out, "pulling " + repo + ":" + tag);
}

Result<void> EngineDockerClient::TagImage(const std::string& image, const std::string& repo,
                                          const std::string& tag) {
  auto r = Call(Req("POST", fmt::format("/images/{}/tag?repo={}&tag={}", image, UrlEncode(repo), UrlEncode(tag))),
                {200, 201});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> EngineDockerClient::RemoveImage(const std::string& image) {
  auto r = Call(Req("DELETE", "/images/" + image + "?force=1"), {200});
  if (!r && r.error().code != ErrorCode::kNotFound) return std::unexpected(r.error());
  return {};
}

Result<void> EngineDockerClient::EnsureVolume(const std::string& name,
                                              const std::map<std::string, std::string>& labels) {
  nlohmann::json body = {{"Name", name}, {"Labels", labels}};
  auto r = Call(Req("POST", "/volumes/create", DumpJson(body), {{"Content-Type", "application/json"}}),
                {200, 201});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> EngineDockerClient::RemoveVolume(const std::string& name) {
  auto r = Call(Req("DELETE", "/volumes/" + UrlEncode(name) + "?force=1"), {204});
  if (!r && r.error().code != ErrorCode::kNotFound) return std::unexpected(r.error());
  return {};
}

Result<std::vector<std::string>> EngineDockerClient::ListVolumes(const std::string& label_filter) {
  nlohmann::json filters = {{"label", {label_filter}}};
  auto r = Call(Req("GET", "/volumes?filters=" + UrlEncode(DumpJson(filters))), {200});
  if (!r) return std::unexpected(r.error());
  auto body = nlohmann::json::parse(r->body, nullptr, false);
  std::vector<std::string> names;
  if (body.is_object() && body.contains("Volumes") && body["Volumes"].is_array()) {
    for (const auto& v : body["Volumes"]) {
      if (v.is_object() && v.contains("Name") && v["Name"].is_string()) names.push_back(v["Name"].get<std::string>());
    }
  }
  return names;
}

Result<std::string> EngineDockerClient::CreateContainer(const ContainerSpec& spec) {
  nlohmann::json host = {{"Binds", spec.binds}};
  if (spec.limits.memory_bytes > 0) {
    host["Memory"] = spec.limits.memory_bytes;
    host["MemorySwap"] = spec.limits.memory_bytes;  // no swap beyond it
  }
  if (spec.limits.nano_cpus > 0) host["NanoCpus"] = spec.limits.nano_cpus;
  if (spec.limits.pids > 0) host["PidsLimit"] = spec.limits.pids;
  if (spec.limits.cpu_shares > 0) host["CpuShares"] = spec.limits.cpu_shares;
  if (!spec.network_mode.empty()) host["NetworkMode"] = spec.network_mode;
  if (!spec.cap_drop.empty()) host["CapDrop"] = spec.cap_drop;
  if (spec.no_new_privileges) host["SecurityOpt"] = {"no-new-privileges:true"};
  if (spec.auto_remove) host["AutoRemove"] = true;
  if (!spec.restart_policy.empty()) host["RestartPolicy"] = {{"Name", spec.restart_policy}};
  nlohmann::json exposed = nlohmann::json::object();
  for (const auto& [port, host_port] : spec.published_ports) {
    std::string key = fmt::format("{}/tcp", port);
    exposed[key] = nlohmann::json::object();
    host["PortBindings"][key] = {{{"HostIp", "127.0.0.1"}, {"HostPort", host_port == "0" ? "" : host_port}}};
  }
  nlohmann::json body = {{"Image", spec.image},   {"Env", spec.env},
                         {"Labels", spec.labels}, {"HostConfig", host},
                         {"AttachStdout", true},  {"AttachStderr", true},
                         {"Tty", spec.tty},       {"OpenStdin", spec.open_stdin},
                         {"StdinOnce", spec.open_stdin}, {"AttachStdin", spec.open_stdin}};
  if (!spec.published_ports.empty()) body["ExposedPorts"] = exposed;
  if (!spec.cmd.empty()) body["Cmd"] = spec.cmd;
  if (!spec.working_dir.empty()) body["WorkingDir"] = spec.working_dir;
  if (!spec.user.empty()) body["User"] = spec.user;
  std::string path = "/containers/create";
  if (!spec.name.empty()) path += "?name=" + UrlEncode(spec.name);
  auto r = Call(Req("POST", path, DumpJson(body), {{"Content-Type", "application/json"}}), {201});
  if (!r) return std::unexpected(r.error());
  auto id = engine::StringMember(r->body, "Id");
  if (id.empty()) return Failed("the Docker engine created a container without an id");
  return id;
}

Result<void> EngineDockerClient::StartContainer(const std::string& id) {
  auto r = Call(Req("POST", "/containers/" + id + "/start"), {204, 304});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<ContainerInfo> EngineDockerClient::InspectContainer(const std::string& id) {
  auto r = Call(Req("GET", "/containers/" + id + "/json"), {200});
  if (!r) return std::unexpected(r.error());
  return engine::ParseContainer(nlohmann::json::parse(r->body, nullptr, false));
}

Result<HttpResponse> EngineDockerClient::StreamOutput(HttpRequest request, const LineSink& out,
                                                      const std::function<bool(std::string_view)>& stdout_data) {
  auto path = Path(request.path);
  if (!path) return std::unexpected(path.error());
  request.path = *path;
  LineSplitter lines([&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (out) out(line);
  });
  FrameSplitter frames([&](int stream, std::string_view payload) {
    if (stdout_data && stream == 1) return stdout_data(payload);
    lines.Feed(payload);
    return true;
  });
  auto r = http_.Stream(request, [&](std::string_view data) { return frames.Feed(data); });
  lines.Flush();
  return r;
}

Result<void> EngineDockerClient::FollowLogs(const std::string& id, const LineSink& out) {
  auto r = StreamOutput(Req("GET", "/containers/" + id + "/logs?follow=1&stdout=1&stderr=1"), out);
  if (!r) return std::unexpected(r.error());
  if (r->status != 200) return Failed(fmt::format("cannot read the logs of container {}", id.substr(0, 12)));
  return {};
}

Result<int> EngineDockerClient::Exec(const std::string& id, const std::vector<std::string>& cmd,
                                     const LineSink& out, const std::function<bool(std::string_view)>& stdout_data) {
  nlohmann::json create = {{"AttachStdout", true}, {"AttachStderr", true}, {"Tty", false}, {"Cmd", cmd}};
  auto created = Call(Req("POST", "/containers/" + id + "/exec", DumpJson(create),
                          {{"Content-Type", "application/json"}}),
                      {201});
  if (!created) return std::unexpected(created.error());
  std::string exec_id = engine::StringMember(created->body, "Id");
  if (exec_id.empty()) return Failed("the Docker engine created an exec without an id");
  nlohmann::json start = {{"Detach", false}, {"Tty", false}};
  auto r = StreamOutput(Req("POST", "/exec/" + exec_id + "/start", DumpJson(start),
                            {{"Content-Type", "application/json"}}),
                        out, stdout_data);
  if (!r) return std::unexpected(r.error());
  if (r->status != 200) return Failed(fmt::format("cannot run a command in container {}", id.substr(0, 12)));
  auto info = Call(Req("GET", "/exec/" + exec_id + "/json"), {200});
  if (!info) return std::unexpected(info.error());
  auto body = nlohmann::json::parse(info->body, nullptr, false);
  if (!body.is_object() || !body["ExitCode"].is_number_integer()) {
    return Failed("the engine did not say how the command ended");
  }
  return body["ExitCode"].get<int>();
}

Result<int> EngineDockerClient::WaitContainer(const std::string& id) {
  auto r = Call(Req("POST", "/containers/" + id + "/wait"), {200});
  if (!r) return std::unexpected(r.error());
  auto body = nlohmann::json::parse(r->body, nullptr, false);
  if (!body.is_object() || !body["StatusCode"].is_number_integer()) return Failed("the engine did not say how the container ended");
  return body["StatusCode"].get<int>();
}

Result<bool> EngineDockerClient::OomEvent(const std::string& id, int64_t since, int64_t until) {
  nlohmann::json filters = {{"type", {"container"}}, {"container", {id}}, {"event", {"oom"}}};
  auto request = Req("GET", fmt::format("/events?since={}&until={}&filters={}", since, until,
                                        UrlEncode(DumpJson(filters))));
  auto path = Path(request.path);
  if (!path) return std::unexpected(path.error());
  request.path = *path;
  // The engine holds the answer open until `until`; a margin on top for a slow one.
  request.timeout_seconds = std::max<int64_t>(0, until - static_cast<int64_t>(std::time(nullptr))) + 30;
  // One JSON object a line, events only when the answer is 200 (an error's body has no Action).
  bool seen = false;
  LineSplitter lines([&](std::string_view line) {
    auto event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_object() && event.value("Action", "") == "oom") seen = true;
  });
  auto r = http_.Stream(request, [&](std::string_view data) {
    lines.Feed(data);
    return !seen;
  });
  if (seen) return true;
  if (!r) return std::unexpected(r.error());
  if (r->status != 200) return Failed(fmt::format("cannot read the engine's events: {}", ErrorMessage(*r)));
  return false;
}

Result<void> EngineDockerClient::StopContainer(const std::string& id, int timeout_seconds) {
  auto r = Call(Req("POST", fmt::format("/containers/{}/stop?t={}", id, timeout_seconds)), {204, 304});
  if (!r && r.error().code != ErrorCode::kNotFound) return std::unexpected(r.error());
  return {};
}

Result<void> EngineDockerClient::RemoveContainer(const std::string& id) {
  auto r = Call(Req("DELETE", "/containers/" + id + "?force=1&v=1"), {204});
  if (!r && r.error().code != ErrorCode::kNotFound) return std::unexpected(r.error());
  return {};
}

Result<std::vector<ContainerSummary>> EngineDockerClient::ListContainers(const std::string& label_filter) {
  nlohmann::json filters = {{"label", {label_filter}}};
  auto r = Call(Req("GET", "/containers/json?all=1&filters=" + UrlEncode(DumpJson(filters))), {200});
  if (!r) return std::unexpected(r.error());
  return engine::ParseList<ContainerSummary>(nlohmann::json::parse(r->body, nullptr, false),
                                               engine::ParseContainerSummary);
}

Result<void> EngineDockerClient::PutArchive(const std::string& id, const std::string& path,
                                            const std::filesystem::path& tar) {
  auto r = Call(Upload("PUT", fmt::format("/containers/{}/archive?path={}", id, UrlEncode(path)), tar,
                       {{"Content-Type", "application/x-tar"}}),
                {200});
  if (!r) return std::unexpected(r.error());
  return {};
}

Result<void> EngineDockerClient::GetArchive(const std::string& id, const std::string& path,
                                            const std::filesystem::path& dest) {
  auto api = Path(fmt::format("/containers/{}/archive?path={}", id, UrlEncode(path)));
  if (!api) return std::unexpected(api.error());
  std::ofstream file(dest, std::ios::binary | std::ios::trunc);
  std::string head;
  auto r = http_.Stream(Req("GET", *api), [&](std::string_view data) {
    if (head.size() < 1024) head.append(data.substr(0, 1024));
    file.write(data.data(), static_cast<std::streamsize>(data.size()));
    return static_cast<bool>(file);
  });
  file.close();
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) return NotFound(fmt::format("{} does not exist in the container", path));
  if (r->status != 200) return Failed(fmt::format("cannot copy {} out of the container: {}", path, head));
  if (!file) return Failed(fmt::format("cannot write {}", dest.string()));
  return {};
}

}  // namespace ms
