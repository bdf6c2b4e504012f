// The HTTP API's resources under /api/v1, in the spirit of Heroku's Platform
// API. Each handler turns the request into a command line of the catalog and
// runs it with RunAs (the Router: the caller's role, app access and the audit
// log, as over ssh), then answers with the command's --json output, or with
// the error mapped to its status (api_reply.h).

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "server/api/api_routes.h"
#include "server/api/command_run.h"
#include "server/api/log_events.h"
#include "server/deploy/source_archive.h"
#include "server/keys/app_access.h"

namespace ms {
namespace {

using Json = nlohmann::json;

// Collects what a command writes to stderr (a few lines at most). Thread-safe.
struct StreamOutput : Output {
  std::mutex mu;
  std::string text;
  void Write(std::string_view data) override {
    std::lock_guard lock(mu);
    if (text.size() < 64 * 1024) text.append(data.substr(0, 64 * 1024 - text.size()));
  }
};

// Runs argv as the caller; on failure, the error reply.
std::expected<CommandRun, ApiReply> Run(ApiCall& call, std::vector<std::string> argv, std::string stdin_text = "") {
  CommandRun run = RunAs(call.services, call.caller, argv, std::move(stdin_text), call.cancelled);
  if (run.error) return std::unexpected(ErrorReply(*run.error));
  if (run.exit_status != 0) {
    std::string message = run.err.empty() ? fmt::format("{} exited with status {}", argv[0], run.exit_status) : run.err;
    if (message.starts_with("error: ")) message.erase(0, 7);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return std::unexpected(ErrorReply(422, "failed", message));
  }
  return run;
}

// Runs a command with --json and answers with what it printed.
ApiReply RunJson(ApiCall& call, std::vector<std::string> argv, int status = 200) {
  argv.push_back("--json");
  auto run = Run(call, std::move(argv));
  if (!run) return run.error();
  Json body = Json::parse(run->out, nullptr, false);
  if (body.is_discarded()) body = Json{{"output", run->out}};
  return ApiReply{status, std::move(body), {}};
}

// The request's JSON object body; an error reply when it is not one.
std::expected<Json, ApiReply> BodyObject(const ApiCall& call) {
  Json body = Json::parse(call.request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return std::unexpected(ErrorReply(400, "bad_request", "the body must be a JSON object"));
  }
  return body;
}

// A string field of the body; an error reply naming it when it is missing.
std::expected<std::string, ApiReply> StringField(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) {
    return std::unexpected(ErrorReply(400, "bad_request", fmt::format("the body needs \"{}\": a string", name)));
  }
  return it->get<std::string>();
}

const std::string& App(const ApiCall& call) { return call.params.at("app"); }

ApiReply Account(ApiCall& call) {
  return ApiReply{200,
                  {{"key_name", call.caller.key_name},
                   {"role", call.caller.role == Role::kAdmin ? "admin" : "developer"},
                   {"token", call.caller.token}},
                  {}};
}

ApiReply AppsList(ApiCall& call) { return RunJson(call, {"apps:list"}); }

ApiReply AppsCreate(ApiCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto name = StringField(*body, "name");
  if (!name) return name.error();
  if (auto run = Run(call, {"apps:create", *name}); !run) return run.error();
  return RunJson(call, {"apps:info", *name}, 201);
}

ApiReply AppsInfo(ApiCall& call) { return RunJson(call, {"apps:info", App(call)}); }

ApiReply AppsDestroy(ApiCall& call) {
  ApiReply info = RunJson(call, {"apps:info", App(call)});
  if (info.status != 200) return info;
  if (auto run = Run(call, {"apps:destroy", App(call), "--confirm", App(call)}); !run) return run.error();
  return info;
}

ApiReply ConfigVars(ApiCall& call) { return RunJson(call, {"config", App(call)}); }

// {"KEY": "value", "OTHER": null}: sets and unsets in one release.
ApiReply ConfigPatch(ApiCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  std::vector<std::string> set = {"config:set", App(call)}, unset;
  for (const auto& [key, value] : body->items()) {
    if (value.is_null()) {
      unset.push_back(key);
    } else if (value.is_string()) {
      set.push_back(key + "=" + value.get<std::string>());
    } else {
      return ErrorReply(400, "bad_request", fmt::format("the value of {} must be a string, or null to unset it",
                                                        key.substr(0, 64)));
    }
  }
  if (set.size() == 2 && unset.empty()) return ConfigVars(call);
  std::vector<std::string> argv;
  if (set.size() > 2) {
    argv = set;
    if (!unset.empty()) {
      std::string keys;
      for (const auto& k : unset) keys += (keys.empty() ? "" : ",") + k;
      argv.insert(argv.end(), {"--unset", keys});
    }
  } else {
    argv = {"config:unset", App(call)};
    argv.insert(argv.end(), unset.begin(), unset.end());
  }
  if (auto run = Run(call, argv); !run) return run.error();
  return ConfigVars(call);
}

ApiReply ReleasesList(ApiCall& call) { return RunJson(call, {"releases", App(call)}); }

// {"release": N}: a rollback to vN, as a new release.
ApiReply ReleasesCreate(ApiCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto it = body->find("release");
  if (it == body->end() || !it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 1000000000) {
    return ErrorReply(400, "bad_request", "the body needs \"release\": the version to roll back to (a number)");
  }
  if (auto run = Run(call, {"rollback", App(call), fmt::format("v{}", it->get<int64_t>())}); !run) {
    return run.error();
  }
  return RunJson(call, {"releases:info", App(call)}, 201);
}

ApiReply Formation(ApiCall& call) { return RunJson(call, {"ps", App(call)}); }

// {"updates": [{"type": "web", "quantity": 2, "size": "basic"}]} (Heroku's
// form) or {"web": 2}.
ApiReply FormationPatch(ApiCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  std::vector<std::string> scale = {"ps:scale", App(call)}, resize = {"ps:resize", App(call)};
  auto bad = [] {
    return ErrorReply(400, "bad_request",
                      "the body is {\"updates\": [{\"type\": \"web\", \"quantity\": 2, \"size\": \"basic\"}]} "
                      "or {\"web\": 2}");
  };
  if (body->contains("updates")) {
    const Json& updates = (*body)["updates"];
    if (!updates.is_array()) return bad();
    for (const auto& u : updates) {
      if (!u.is_object() || !u.contains("type") || !u["type"].is_string()) return bad();
      std::string type = u["type"];
      if (u.contains("quantity")) {
        if (!u["quantity"].is_number_integer()) return bad();
        scale.push_back(fmt::format("{}={}", type, u["quantity"].get<int64_t>()));
      }
      if (u.contains("size")) {
        if (!u["size"].is_string()) return bad();
        resize.push_back(fmt::format("{}={}", type, u["size"].get<std::string>()));
      }
    }
  } else {
    for (const auto& [type, quantity] : body->items()) {
      if (!quantity.is_number_integer()) return bad();
      scale.push_back(fmt::format("{}={}", type, quantity.get<int64_t>()));
    }
  }
  if (scale.size() == 2 && resize.size() == 2) return bad();
  if (resize.size() > 2) {
    if (auto run = Run(call, resize); !run) return run.error();
  }
  if (scale.size() > 2) {
    if (auto run = Run(call, scale); !run) return run.error();
  }
  return Formation(call);
}

// POST {"FIELD": "value"}: runs `command APP value`, then answers 201 with the list.
ApiReply AddThenList(ApiCall& call, const char* field, const std::string& command, ApiHandler list) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto value = StringField(*body, field);
  if (!value) return value.error();
  if (auto run = Run(call, {command, App(call), *value}); !run) return run.error();
  ApiReply listed = list(call);
  if (listed.status == 200) listed.status = 201;
  return listed;
}

ApiReply DomainsList(ApiCall& call) { return RunJson(call, {"domains", App(call)}); }
ApiReply DomainsAdd(ApiCall& call) { return AddThenList(call, "hostname", "domains:add", DomainsList); }
ApiReply DomainsRemove(ApiCall& call) {
  if (auto run = Run(call, {"domains:remove", App(call), call.params.at("hostname")}); !run) return run.error();
  return DomainsList(call);
}

ApiReply AccessList(ApiCall& call) { return RunJson(call, {"access", App(call)}); }
ApiReply AccessAdd(ApiCall& call) { return AddThenList(call, "user", "access:add", AccessList); }
ApiReply AccessRemove(ApiCall& call) {
  if (auto run = Run(call, {"access:remove", App(call), call.params.at("user")}); !run) return run.error();
  return AccessList(call);
}

ApiReply BuildsList(ApiCall& call) { return RunJson(call, {"builds:list", App(call)}); }
// A build's output as text: followed as it is written while the build runs
// (a deploy from the API), else the whole of it as recorded.
ApiReply BuildOutput(ApiCall& call) {
  if (auto r = CheckAppAccess(call.services.store, call.caller, App(call), AppNeed::kMember); !r) {
    return ErrorReply(r.error());
  }
  const std::string& id_text = call.params.at("id");
  char* end = nullptr;
  int64_t id = std::strtoll(id_text.c_str(), &end, 10);
  if (id <= 0 || *end != '\0') {
    return ErrorReply(404, "not_found", fmt::format("'{}' is not a build id (see builds)", id_text.substr(0, 32)));
  }
  // (NotFound when the build is not the app's.)
  auto log = call.services.store.DeployLog(App(call), id);
  if (!log) return ErrorReply(log.error());
  ApiReply reply;
  reply.content_type = "text/plain; charset=utf-8";
  if (auto live = call.builds.Find(id)) {
    reply.stream = [live](const StreamWrite& write) {
      size_t offset = 0;
      for (bool done = false; !done;) {
        std::string more = live->ReadFrom(offset, std::chrono::seconds(15), &done);
        offset += more.size();
        if (!write(more)) return;
      }
    };
    return reply;
  }
  reply.text = std::move(*log);
  return reply;
}

// The body: the app's source as a .tar.gz. Built and released as a push of
// it would be, on a thread of its own; the answer comes once the build is
// recorded, with where to follow its output.
ApiReply BuildsCreate(ApiCall& call) {
  const std::string& app = App(call);
  if (auto r = CheckAppAccess(call.services.store, call.caller, app, AppNeed::kMember); !r) {
    return ErrorReply(r.error());
  }
  auto entries = UnpackSource(call.request.body, call.max_archive_bytes);
  if (!entries) return ErrorReply(entries.error());
  AppLock lock = call.services.locks.TryAcquire(app);
  if (!lock) {
    return ErrorReply(409, "busy", fmt::format("a deploy or a change of {} is in progress; try again once it ends", app));
  }
  auto source = CommitSource(call.services, call.caller, app, *entries);
  if (!source) return ErrorReply(source.error());
  auto build = std::make_shared<LiveBuild>();
  auto started = std::make_shared<std::promise<int64_t>>();
  auto id_future = started->get_future();
  Services& services = call.services;
  LiveBuilds& builds = call.builds;
  Caller caller = call.caller;
  auto shared_lock = std::make_shared<AppLock>(std::move(lock));
  builds.threads().Spawn([&services, &builds, caller, source = *source, build, started, shared_lock] {
    int64_t id = 0;
    auto result = DeploySource(services, caller, source, *build, nullptr, [&](int64_t deploy_id) {
      id = deploy_id;
      builds.Add(id, build);
      started->set_value(id);
    });
    if (id == 0) started->set_value(result ? 0 : -1);
    shared_lock->Release();
    build->Finish(result.has_value());
    if (id != 0) builds.Remove(id);
  });
  // The build is recorded at once (or fails before it is).
  if (id_future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    return ErrorReply(503, "unavailable", "the build did not start within 60 s; see builds for its state");
  }
  int64_t id = id_future.get();
  if (id <= 0) {
    bool done = false;
    std::string output = build->ReadFrom(0, std::chrono::seconds(5), &done);
    return ErrorReply(422, "failed", "the deploy failed before it was recorded: " + output);
  }
  return ApiReply{201,
                  {{"id", id},
                   {"app", app},
                   {"commit", source->commit},
                   {"status", "running"},
                   {"output_stream_url", fmt::format("/api/v1/apps/{}/builds/{}/output", app, id)}},
                  {}};
}

// {"argv": ["config:set", "web", "A=1"], "stdin": "..."}: any command of the
// catalog, as the caller; its exit status and output. A failed command also
// gets the error's status, id and message.
ApiReply Commands(ApiCall& call) {
  auto body = BodyObject(call);
  if (!body) return body.error();
  auto it = body->find("argv");
  std::vector<std::string> argv;
  bool ok = it != body->end() && it->is_array() && !it->empty();
  if (ok) {
    for (const auto& word : *it) {
      if (!word.is_string()) {
        ok = false;
        break;
      }
      argv.push_back(word.get<std::string>());
    }
  }
  if (!ok) return ErrorReply(400, "bad_request", "the body needs \"argv\": the command's words, as strings");
  std::string stdin_text;
  if (auto in = body->find("stdin"); in != body->end()) {
    if (!in->is_string()) return ErrorReply(400, "bad_request", "\"stdin\" must be a string");
    stdin_text = in->get<std::string>();
  }
  CommandRun run = RunAs(call.services, call.caller, argv, std::move(stdin_text), call.cancelled);
  ApiReply reply = run.error ? ErrorReply(*run.error) : ApiReply{};
  reply.body["exit_status"] = run.exit_status;
  reply.body["stdout"] = run.out;
  reply.body["stderr"] = run.err;
  return reply;
}

constexpr int kMaxLogLines = 10000;
constexpr auto kHeartbeat = std::chrono::seconds(15);

// ?lines=N (default 100), &tail=1 to follow, &type=web; Last-Event-ID resumes.
ApiReply Logs(ApiCall& call) {
  const std::string& app = App(call);
  if (auto r = CheckAppAccess(call.services.store, call.caller, app, AppNeed::kMember); !r) {
    return ErrorReply(r.error());
  }
  auto query = [&](const char* name) {
    auto it = call.request.query.find(name);
    return it == call.request.query.end() ? std::string() : it->second;
  };
  std::string lines = query("lines").empty() ? "100" : query("lines");
  char* end = nullptr;
  long n = std::strtol(lines.c_str(), &end, 10);
  if (*end != '\0' || n < 0 || n > kMaxLogLines) {
    return ErrorReply(400, "bad_request", fmt::format("lines takes a number from 0 to {}", kMaxLogLines));
  }
  std::string after = call.request.last_event_id;
  std::vector<std::string> argv = {"logs", app, "-n", after.empty() ? std::to_string(n) : std::to_string(kMaxLogLines)};
  std::string tail = query("tail");
  if (tail == "1" || tail == "true") argv.push_back("-t");
  if (std::string type = query("type"); !type.empty()) argv.insert(argv.end(), {"--ps", type});
  ApiReply reply;
  reply.content_type = "text/event-stream";
  reply.headers.emplace_back("X-Accel-Buffering", "no");
  Services& services = call.services;
  Caller caller = call.caller;
  auto peer_gone = call.cancelled;
  reply.stream = [&services, caller, argv, after, peer_gone](const StreamWrite& write) {
    LogEvents events(write, after);
    std::atomic<bool> done{false};
    std::mutex mu;
    std::condition_variable wake;
    std::thread heartbeat([&] {
      std::unique_lock lock(mu);
      while (!wake.wait_for(lock, kHeartbeat, [&] { return done.load(); })) events.Heartbeat();
    });
    StreamOutput err_sink;
    Error failure;
    int status = RunStreaming(services, caller, argv, events, err_sink, [&] { return events.gone() || peer_gone(); },
                              &failure);
    {
      std::lock_guard lock(mu);
      done = true;
    }
    wake.notify_all();
    heartbeat.join();
    if (status != 0 && !events.gone()) events.Event("error", failure.message.empty() ? err_sink.text : failure.message);
  };
  return reply;
}

// clang-format off
const ApiRoute kRoutes[] = {
    {"GET",    "/api/v1/account",                       Account},
    {"POST",   "/api/v1/commands",                      Commands},
    {"GET",    "/api/v1/apps",                          AppsList},
    {"POST",   "/api/v1/apps",                          AppsCreate},
    {"GET",    "/api/v1/apps/{app}",                    AppsInfo},
    {"DELETE", "/api/v1/apps/{app}",                    AppsDestroy},
    {"GET",    "/api/v1/apps/{app}/config-vars",        ConfigVars},
    {"PATCH",  "/api/v1/apps/{app}/config-vars",        ConfigPatch},
    {"GET",    "/api/v1/apps/{app}/releases",           ReleasesList},
    {"POST",   "/api/v1/apps/{app}/releases",           ReleasesCreate},
    {"GET",    "/api/v1/apps/{app}/formation",          Formation},
    {"PATCH",  "/api/v1/apps/{app}/formation",          FormationPatch},
    {"GET",    "/api/v1/apps/{app}/domains",            DomainsList},
    {"POST",   "/api/v1/apps/{app}/domains",            DomainsAdd},
    {"DELETE", "/api/v1/apps/{app}/domains/{hostname}", DomainsRemove},
    {"GET",    "/api/v1/apps/{app}/access",             AccessList},
    {"POST",   "/api/v1/apps/{app}/access",             AccessAdd},
    {"DELETE", "/api/v1/apps/{app}/access/{user}",      AccessRemove},
    {"GET",    "/api/v1/apps/{app}/builds",             BuildsList},
    {"POST",   "/api/v1/apps/{app}/builds",             BuildsCreate},
    {"GET",    "/api/v1/apps/{app}/builds/{id}/output", BuildOutput},
    {"GET",    "/api/v1/apps/{app}/logs",               Logs},
};
// clang-format on

}  // namespace

std::span<const ApiRoute> ApiRoutes() { return kRoutes; }

}  // namespace ms
