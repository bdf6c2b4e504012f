// The HTTP API (server/api/): its route table, errors, the failed-auth limiter,
// tokens in the store and as commands, and the server answering real HTTP over
// loopback and its unix socket with the commands of a TestEnv.

#include "server/api/api_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <zlib.h>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>

#include "server/api/api_routes.h"
#include "server/api/auth_limiter.h"
#include "server/api/log_events.h"
#include "server/common/tar_writer.h"
#include "server/deploy/record_deploy_step.h"
#include "server/deploy/source_archive.h"
#include "server/keys/api_token.h"
#include "test_helpers.h"

using ms_test::Contains;
using ms_test::Run;
using ms_test::TestEnv;
using json = nlohmann::json;

namespace {

ms::ApiReply Handler(ms::ApiCall&) { return {}; }
const ms::ApiRoute kTable[] = {
    {"GET", "/api/v1/apps", Handler},
    {"POST", "/api/v1/apps", Handler},
    {"GET", "/api/v1/apps/{app}", Handler},
    {"DELETE", "/api/v1/apps/{app}/domains/{hostname}", Handler},
};

struct Answer {
  int status = 0;
  std::string head;
  json body;
};

// One request over a fresh connection (Connection: close), the whole answer read.
Answer Send(int fd, const std::string& request) {
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  Answer a;
  auto end = text.find("\r\n\r\n");
  a.head = text.substr(0, end);
  if (text.size() > 12) a.status = std::atoi(text.c_str() + 9);
  if (end != std::string::npos) a.body = json::parse(text.substr(end + 4), nullptr, false);
  return a;
}

std::string Request(const std::string& method, const std::string& path, const std::string& token,
                    const std::string& body = "", const std::string& extra = "") {
  std::string r = method + " " + path + " HTTP/1.1\r\nHost: mothership.localhost\r\nConnection: close\r\n";
  if (!token.empty()) r += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty()) r += "Content-Type: application/json\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
  return r;
}

int ConnectTcp(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

int ConnectUnix(const std::filesystem::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// A TestEnv with the admin "root" and the developer "dev", each with a token,
// and the API serving it (with `deploy` as the deploy step when given).
struct ApiEnv {
  TestEnv env;
  std::unique_ptr<ms::Services> services;
  std::string root_token, dev_token;
  std::unique_ptr<ms::ApiServer> server;
  int port = 0;

  explicit ApiEnv(size_t max_body = 1 << 20, ms::DeployStep* deploy = nullptr, size_t max_archive = 1 << 20) {
    services = std::make_unique<ms::Services>(ms::Services{env.settings, *env.store, env.repos, env.locks,
                                                           deploy ? *deploy : env.deploy, env.sessions});
    REQUIRE(env.store->AddKey({0, "root", "SHA256:root", "ssh-ed25519 AAAAroot", ms::Role::kAdmin, ""}));
    REQUIRE(env.store->AddKey({0, "dev", "SHA256:dev", "ssh-ed25519 AAAAdev", ms::Role::kDeveloper, ""}));
    root_token = Token(ms::Role::kAdmin, "ci");
    dev_token = Token(ms::Role::kDeveloper, "laptop");
    ms::ApiServerOptions options;
    options.socket_path = env.settings.ApiSocketPath();
    options.tcp_port = 0;
    options.max_body_bytes = max_body;
    options.max_archive_bytes = max_archive;
    options.auth_burst = 3;
    options.auth_refill_seconds = 60;
    server = std::make_unique<ms::ApiServer>(*services, options);
    auto started = server->Start();
    REQUIRE_OK(started);
    port = *started;
  }
  std::string Token(ms::Role role, const std::string& name) {
    auto r = Run(env, {"tokens:create", name}, role);
    INFO(r.err);
    REQUIRE(r.status == 0);
    std::string token = r.out.substr(0, r.out.find('\n'));
    REQUIRE(ms::IsApiTokenShape(token));
    return token;
  }
  Answer Call(const std::string& method, const std::string& path, const std::string& token,
              const std::string& body = "") {
    return Send(ConnectTcp(port), Request(method, path, token, body));
  }
};

}  // namespace

TEST_CASE("api routes: a pattern's {name} segments become parameters - another method is 405 - others 404",
          "[api]") {
  auto m = ms::MatchRoute(kTable, "GET", "/api/v1/apps/web");
  REQUIRE(m.route == &kTable[2]);
  CHECK(m.params.at("app") == "web");
  auto trailing = ms::MatchRoute(kTable, "GET", "/api/v1/apps/");
  CHECK(trailing.route == &kTable[0]);
  auto decoded = ms::MatchRoute(kTable, "DELETE", "/api/v1/apps/web/domains/www.ex%61mple.com");
  REQUIRE(decoded.route == &kTable[3]);
  CHECK(decoded.params.at("hostname") == "www.example.com");
  auto wrong_method = ms::MatchRoute(kTable, "PUT", "/api/v1/apps/web");
  CHECK(wrong_method.route == nullptr);
  CHECK(wrong_method.path_known);
  auto unknown = ms::MatchRoute(kTable, "GET", "/api/v1/apps/web/nothing");
  CHECK(unknown.route == nullptr);
  CHECK_FALSE(unknown.path_known);
  // An encoded '/' or NUL, or a bad escape, never makes a parameter.
  CHECK(ms::MatchRoute(kTable, "GET", "/api/v1/apps/a%2Fb").route == nullptr);
  CHECK(ms::MatchRoute(kTable, "GET", "/api/v1/apps/a%00").route == nullptr);
  CHECK(ms::MatchRoute(kTable, "GET", "/api/v1/apps/a%4").route == nullptr);
  CHECK(ms::MatchRoute(kTable, "GET", "api/v1/apps").route == nullptr);
}

TEST_CASE("api routes: query strings decode - malformed pairs are dropped", "[api]") {
  auto q = ms::ParseQuery("tail=1&lines=20&type=web%20x&bad=%zz&&=empty&plus=a+b");
  CHECK(q.at("tail") == "1");
  CHECK(q.at("lines") == "20");
  CHECK(q.at("type") == "web x");
  CHECK(q.at("plus") == "a b");
  CHECK_FALSE(q.contains("bad"));
  CHECK(q.size() == 4);
}

TEST_CASE("api errors: each error code has the status and id a client expects", "[api]") {
  using ms::ErrorCode;
  auto status = [](ErrorCode c) { return ms::ErrorReply(ms::Error{c, "m"}).status; };
  CHECK(status(ErrorCode::kInvalidArgument) == 422);
  CHECK(status(ErrorCode::kNotFound) == 404);
  CHECK(status(ErrorCode::kAlreadyExists) == 409);
  CHECK(status(ErrorCode::kPermissionDenied) == 403);
  CHECK(status(ErrorCode::kBusy) == 409);
  CHECK(status(ErrorCode::kUnavailable) == 503);
  CHECK(status(ErrorCode::kFailed) == 422);
  auto reply = ms::ErrorReply(ms::Error{ErrorCode::kNotFound, "no app 'x'"});
  CHECK(reply.body == json{{"id", "not_found"}, {"message", "no app 'x'"}});
}

TEST_CASE("api auth limiter: an address may fail its burst, then once per refill - others are not affected",
          "[api]") {
  ms::AuthLimiter limiter(3, std::chrono::seconds(10), 2);
  auto t0 = ms::AuthLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(limiter.RetryAfter("a", t0).has_value());
    limiter.Failed("a", t0);
  }
  auto wait = limiter.RetryAfter("a", t0);
  REQUIRE(wait.has_value());
  CHECK(*wait == 10);
  CHECK(limiter.RetryAfter("a", t0 + std::chrono::seconds(4)) == 6);
  CHECK_FALSE(limiter.RetryAfter("b", t0).has_value());
  CHECK_FALSE(limiter.RetryAfter("a", t0 + std::chrono::seconds(10)).has_value());
  // At most 2 addresses are remembered: the least recently failing goes.
  limiter.Failed("b", t0);
  limiter.Failed("c", t0);
  CHECK_FALSE(limiter.RetryAfter("a", t0).has_value());
}

TEST_CASE("tokens: made once, listed, used as their key name - expired, revoked and orphaned ones fail", "[api]") {
  TestEnv env;
  REQUIRE(env.store->AddKey({0, "root", "SHA256:root", "ssh-ed25519 AAAAroot", ms::Role::kAdmin, ""}));
  REQUIRE(env.store->AddKey({0, "dev", "SHA256:dev", "ssh-ed25519 AAAAdev", ms::Role::kDeveloper, ""}));
  auto made = Run(env, {"tokens:create", "laptop", "--expires", "30"}, ms::Role::kDeveloper);
  INFO(made.err);
  REQUIRE(made.status == 0);
  std::string token = made.out.substr(0, made.out.find('\n'));
  CHECK(ms::IsApiTokenShape(token));
  CHECK(Contains(made.err, "acts as 'dev'"));
  CHECK(Contains(made.err, "shown only this once"));
  // Only the hash is stored.
  auto found = env.store->UseToken(ms::ApiTokenHash(token), std::time(nullptr));
  REQUIRE_OK(found);
  REQUIRE(found->has_value());
  CHECK((*found)->key_name == "dev");
  CHECK((*found)->name == "laptop");
  // Expired 30 days on.
  auto later = env.store->UseToken(ms::ApiTokenHash(token), std::time(nullptr) + 31 * 86400);
  REQUIRE_OK(later);
  CHECK_FALSE(later->has_value());

  auto again = Run(env, {"tokens:create", "laptop"}, ms::Role::kDeveloper);
  CHECK(again.status == ms::kExitError);
  CHECK(Contains(again.err, "you have a token named 'laptop' already"));
  auto bad = Run(env, {"tokens:create", "no spaces"}, ms::Role::kDeveloper);
  CHECK(bad.status == ms::kExitUsage);
  CHECK(Contains(bad.err, "is not a token name"));
  auto bad_days = Run(env, {"tokens:create", "x", "--expires", "0"}, ms::Role::kDeveloper);
  CHECK(bad_days.status == ms::kExitUsage);
  CHECK(Contains(bad_days.err, "--expires takes a number of days from 1 to 3650"));

  // A developer lists its own; an admin everyone's.
  REQUIRE(Run(env, {"tokens:create", "ci"}, ms::Role::kAdmin).status == 0);
  auto mine = Run(env, {"tokens"}, ms::Role::kDeveloper);
  CHECK(Contains(mine.out, "laptop"));
  CHECK_FALSE(Contains(mine.out, "ci "));
  CHECK_FALSE(Contains(mine.out, token));
  auto all = Run(env, {"tokens", "--json"}, ms::Role::kAdmin);
  auto list = json::parse(all.out);
  REQUIRE(list.size() == 2);  // by key name: dev's, then root's
  CHECK(list[0]["name"] == "laptop");
  CHECK(list[0]["last_used_at"] != "");
  CHECK(list[0]["expires_at"] != "");
  CHECK(list[1]["name"] == "ci");
  CHECK(list[1]["key_name"] == "root");

  // A token cannot make tokens.
  ms::Caller via_token{"dev", ms::Role::kDeveloper, "", "laptop"};
  auto minted = ms_test::RunAs(env, via_token, {"tokens:create", "more"});
  CHECK(minted.status == ms::kExitError);
  CHECK(Contains(minted.err, "tokens are made over ssh with a key"));

  // Only admins revoke another name's tokens.
  auto other = Run(env, {"tokens:revoke", "ci", "--key", "root"}, ms::Role::kDeveloper);
  CHECK(other.status == ms::kExitError);
  CHECK(Contains(other.err, "only admins"));
  auto revoked = Run(env, {"tokens:revoke", "laptop", "--key", "dev"}, ms::Role::kAdmin);
  INFO(revoked.err);
  CHECK(revoked.status == 0);
  auto gone = env.store->UseToken(ms::ApiTokenHash(token), std::time(nullptr));
  REQUIRE_OK(gone);
  CHECK_FALSE(gone->has_value());
  auto twice = Run(env, {"tokens:revoke", "laptop"}, ms::Role::kDeveloper);
  CHECK(twice.status == ms::kExitError);
  CHECK(Contains(twice.err, "'dev' has no token named 'laptop'"));

  // A name's last key removed: its tokens go with it.
  auto kept = Run(env, {"tokens:create", "kept"}, ms::Role::kDeveloper);
  std::string kept_token = kept.out.substr(0, kept.out.find('\n'));
  auto removal = env.store->RemoveKey("dev", "", "root");
  REQUIRE_OK(removal);
  CHECK(removal->tokens_removed == 1);
  auto orphan = env.store->UseToken(ms::ApiTokenHash(kept_token), std::time(nullptr));
  REQUIRE_OK(orphan);
  CHECK_FALSE(orphan->has_value());
}

TEST_CASE("api server: no token or a bad one is 401 - failures are limited per address - a good token answers",
          "[api]") {
  ApiEnv api;
  auto none = api.Call("GET", "/api/v1/apps", "");
  CHECK(none.status == 401);
  CHECK(none.body["id"] == "unauthorized");
  CHECK(Contains(none.head, "WWW-Authenticate: Bearer"));
  auto ok = api.Call("GET", "/api/v1/account", api.dev_token);
  CHECK(ok.status == 200);
  CHECK(ok.body == json{{"key_name", "dev"}, {"role", "developer"}, {"token", "laptop"}});
  auto bad = api.Call("GET", "/api/v1/apps", "mst_" + std::string(40, '0'));
  CHECK(bad.status == 401);
  CHECK(Contains(bad.body["message"].get<std::string>(), "revoked, expired, or never made"));
  // The burst is 3: the third failure used the last; then 429 for everyone
  // from this address, good tokens too, without looking at them.
  CHECK(api.Call("GET", "/api/v1/apps", "garbage").status == 401);
  auto limited = api.Call("GET", "/api/v1/apps", api.dev_token);
  CHECK(limited.status == 429);
  CHECK(limited.body["id"] == "rate_limit");
  CHECK(Contains(limited.head, "Retry-After: "));

  // On the proxy's socket the client is X-Forwarded-For's, trusted only there:
  // another client is not limited.
  auto via_proxy = Send(ConnectUnix(api.env.settings.ApiSocketPath()),
                        Request("GET", "/api/v1/account", api.dev_token, "", "X-Forwarded-For: 203.0.113.9\r\n"));
  CHECK(via_proxy.status == 200);
  for (int i = 0; i < 3; ++i) {
    Send(ConnectUnix(api.env.settings.ApiSocketPath()),
         Request("GET", "/api/v1/apps", "nope", "", "X-Forwarded-For: 203.0.113.9\r\n"));
  }
  auto proxied_limited = Send(ConnectUnix(api.env.settings.ApiSocketPath()),
                              Request("GET", "/api/v1/apps", api.dev_token, "", "X-Forwarded-For: 203.0.113.9\r\n"));
  CHECK(proxied_limited.status == 429);
  auto other_client = Send(ConnectUnix(api.env.settings.ApiSocketPath()),
                           Request("GET", "/api/v1/apps", api.dev_token, "", "X-Forwarded-For: 203.0.113.10\r\n"));
  CHECK(other_client.status == 200);
}

TEST_CASE("api server: apps, config vars and access with the commands' rules - errors with their status",
          "[api]") {
  ApiEnv api(4096);
  auto created = api.Call("POST", "/api/v1/apps", api.dev_token, R"({"name": "web"})");
  INFO(created.body.dump());
  CHECK(created.status == 201);
  CHECK(created.body["name"] == "web");
  CHECK(api.Call("POST", "/api/v1/apps", api.dev_token, R"({"name": "web"})").status == 409);
  auto bad_name = api.Call("POST", "/api/v1/apps", api.dev_token, R"({"name": "Bad_Name"})");
  CHECK(bad_name.status == 422);
  CHECK(bad_name.body["id"] == "invalid_params");
  CHECK(api.Call("POST", "/api/v1/apps", api.dev_token, "{not json").status == 400);
  CHECK(api.Call("POST", "/api/v1/apps", api.dev_token, R"({"nom": "x"})").status == 400);
  CHECK(api.Call("PUT", "/api/v1/apps", api.dev_token).status == 405);
  CHECK(api.Call("GET", "/api/v1/nothing", api.dev_token).status == 404);
  CHECK(api.Call("POST", "/api/v1/apps", api.dev_token, std::string(5000, ' ')).status == 413);

  // Config: set and unset in one change; a bad key changes nothing.
  auto set = api.Call("PATCH", "/api/v1/apps/web/config-vars", api.dev_token, R"({"A": "1", "B": "two words"})");
  CHECK(set.status == 200);
  CHECK(set.body == json{{"A", "1"}, {"B", "two words"}});
  auto both = api.Call("PATCH", "/api/v1/apps/web/config-vars", api.dev_token, R"({"A": null, "C": "3"})");
  CHECK(both.status == 200);
  CHECK(both.body == json{{"B", "two words"}, {"C", "3"}});
  auto bad_key = api.Call("PATCH", "/api/v1/apps/web/config-vars", api.dev_token, R"({"1A": "x", "D": "4"})");
  CHECK(bad_key.status == 422);
  CHECK(api.Call("GET", "/api/v1/apps/web/config-vars", api.dev_token).body == both.body);
  CHECK(api.Call("PATCH", "/api/v1/apps/web/config-vars", api.dev_token, R"({"A": 1})").status == 400);

  // Another's app is 404, as if it did not exist; the owner's command 403.
  REQUIRE(Run(api.env, {"apps:create", "secret"}).status == 0);
  auto hidden = api.Call("GET", "/api/v1/apps/secret", api.dev_token);
  CHECK(hidden.status == 404);
  CHECK(api.Call("GET", "/api/v1/apps/secret/config-vars", api.dev_token).status == 404);
  CHECK(hidden.body["message"] == "app 'secret' does not exist (see apps:list)");
  auto listed = api.Call("GET", "/api/v1/apps", api.dev_token);
  CHECK(listed.body.size() == 1);
  REQUIRE(Run(api.env, {"access:add", "secret", "dev"}).status == 0);
  CHECK(api.Call("GET", "/api/v1/apps/secret", api.dev_token).status == 200);
  CHECK(api.Call("DELETE", "/api/v1/apps/secret", api.dev_token).status == 403);
  auto members = api.Call("GET", "/api/v1/apps/secret/access", api.root_token);
  CHECK(members.status == 200);
  CHECK(Contains(members.body.dump(), "\"dev\""));
  CHECK(api.Call("DELETE", "/api/v1/apps/secret/access/dev", api.root_token).status == 200);
  CHECK(api.Call("GET", "/api/v1/apps/secret", api.dev_token).status == 404);

  // Admin commands are 403 for a developer, through /commands too.
  auto keys = api.Call("POST", "/api/v1/commands", api.dev_token, R"({"argv": ["keys:list"]})");
  CHECK(keys.status == 403);
  CHECK(keys.body["exit_status"] == 1);
  CHECK(Contains(keys.body["stderr"].get<std::string>(), "needs an admin key"));
  auto version = api.Call("POST", "/api/v1/commands", api.dev_token, R"({"argv": ["version"]})");
  CHECK(version.status == 200);
  CHECK(version.body["exit_status"] == 0);
  CHECK(Contains(version.body["stdout"].get<std::string>(), MOTHERSHIP_VERSION));

  // The audit log names the token.
  auto audit = Run(api.env, {"audit", "web"});
  CHECK(Contains(audit.out, "dev (token laptop)"));

  // Destroyed by its owner; a revoked token fails at once.
  auto destroyed = api.Call("DELETE", "/api/v1/apps/web", api.dev_token);
  CHECK(destroyed.status == 200);
  CHECK(destroyed.body["name"] == "web");
  CHECK(api.Call("GET", "/api/v1/apps/web", api.dev_token).status == 404);
  REQUIRE(Run(api.env, {"tokens:revoke", "laptop"}, ms::Role::kDeveloper).status == 0);
  CHECK(api.Call("GET", "/api/v1/apps", api.dev_token).status == 401);
}

namespace {

std::string ReadFileText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A .tar.gz of `files` (path -> contents; a path ending in '*' is executable,
// "->" in the contents makes a symlink) under `top`/ when top is not empty.
std::string TarGz(const std::map<std::string, std::string>& files, const std::string& top = "") {
  ms_test::TempDir dir;
  auto tar_path = dir.path() / "a.tar";
  {
    ms::TarWriter tar(tar_path);
    if (!top.empty()) REQUIRE_OK(tar.AddDirectory(top));
    for (const auto& [name, contents] : files) {
      std::string path = top.empty() ? name : top + "/" + name;
      bool exec = path.ends_with('*');
      if (exec) path.pop_back();
      if (contents.starts_with("->")) {
        REQUIRE_OK(tar.AddSymlink(path, contents.substr(2)));
      } else {
        REQUIRE_OK(tar.AddFile(path, contents, exec ? 0755 : 0644));
      }
    }
    REQUIRE_OK(tar.Finish());
  }
  std::string tar_bytes = ReadFileText(tar_path);
  auto gz_path = dir.path() / "a.tar.gz";
  gzFile gz = gzopen(gz_path.c_str(), "wb");
  REQUIRE(gz != nullptr);
  REQUIRE(gzwrite(gz, tar_bytes.data(), static_cast<unsigned>(tar_bytes.size())) == static_cast<int>(tar_bytes.size()));
  gzclose(gz);
  return ReadFileText(gz_path);
}

}  // namespace

TEST_CASE("source archives: one top folder is stripped - .git is left out - paths that leave the folder and "
          "bad archives are refused", "[api]") {
  auto github = ms::UnpackSource(TarGz({{"Procfile", "web: node server.js\n"}, {"bin/run*", "#!/bin/sh\n"},
                                        {"link", "->Procfile"}, {".git/HEAD", "ref: x\n"}},
                                       "app-main"),
                                 1 << 20);
  REQUIRE_OK(github);
  std::map<std::string, const ms::TarEntry*> by_path;
  for (const auto& e : *github) by_path[e.path] = &e;
  CHECK(by_path.size() == 3);
  REQUIRE(by_path.contains("Procfile"));
  CHECK(by_path["Procfile"]->data == "web: node server.js\n");
  REQUIRE(by_path.contains("bin/run"));
  CHECK((by_path["bin/run"]->mode & 0100) != 0);
  REQUIRE(by_path.contains("link"));
  CHECK(by_path["link"]->kind == ms::TarEntry::kSymlink);
  CHECK(by_path["link"]->target == "Procfile");

  // Two top-level entries: nothing is stripped.
  auto flat = ms::UnpackSource(TarGz({{"Procfile", "web: x\n"}, {"src/a.js", "1"}}), 1 << 20);
  REQUIRE_OK(flat);
  CHECK(flat->size() == 2);

  auto error = [](const std::string& bytes, size_t max = 1 << 20) {
    auto r = ms::UnpackSource(bytes, max);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ms::ErrorCode::kInvalidArgument);
    return r.error().message;
  };
  CHECK(Contains(error(TarGz({{"../escape", "x"}, {"a", "b"}})), "leaves its folder"));
  CHECK(Contains(error(TarGz({{"a/../../b", "x"}, {"c", "d"}})), "leaves its folder"));
  CHECK(Contains(error(TarGz({{"/etc/passwd", "x"}, {"c", "d"}})), "not relative"));
  CHECK(Contains(error("not gzip at all"), "not a gzip archive"));
  std::string whole = TarGz({{"big", std::string(4096, 'x')}, {"c", "d"}});
  CHECK(Contains(error(whole.substr(0, whole.size() / 2)), "cut short"));
  CHECK(Contains(error(whole, 1024), "more than"));
  CHECK(Contains(error(TarGz({{".git/config", "x"}})), "has no files"));
}

TEST_CASE("api builds: a .tar.gz is committed and deployed as a push - its output streams while it runs - 409 "
          "meanwhile - the branch moves only when it succeeds", "[api]") {
  std::promise<void> gate;
  std::shared_future<void> opened = gate.get_future().share();
  std::atomic<bool> fail{false};
  ms::RecordDeployStep::Work work = [&](const ms::DeployRequest&, ms::Output& out) -> ms::Result<void> {
    out.Write("-----> building\n");
    opened.wait();
    out.Write("-----> built\n");
    if (fail) return ms::Failed("the build broke");
    return {};
  };
  // The step needs the env's store and repos: made after the env, before the server runs a build.
  struct Holder : ms::DeployStep {
    std::unique_ptr<ms::DeployStep> inner;
    ms::Result<void> Run(const ms::DeployRequest& r, ms::Output& out) override { return inner->Run(r, out); }
  } holder;
  ApiEnv api(1 << 20, &holder, 1 << 20);
  holder.inner = std::make_unique<ms::RecordDeployStep>(*api.env.store, api.env.repos, work);
  REQUIRE(Run(api.env, {"apps:create", "web"}, ms::Role::kDeveloper).status == 0);

  std::string archive = TarGz({{"Procfile", "web: node server.js\n"}, {"server.js", "1"}}, "web-main");
  auto created = api.Call("POST", "/api/v1/apps/web/builds", api.dev_token, archive);
  INFO(created.body.dump());
  REQUIRE(created.status == 201);
  int64_t id = created.body["id"];
  std::string commit = created.body["commit"];
  CHECK(created.body["output_stream_url"] == fmt::format("/api/v1/apps/web/builds/{}/output", id));

  // Another deploy of the app meanwhile is refused.
  auto busy = api.Call("POST", "/api/v1/apps/web/builds", api.dev_token, archive);
  CHECK(busy.status == 409);
  CHECK(busy.body["id"] == "busy");

  // The output streams: the first line arrives while the build waits.
  int fd = ConnectTcp(api.port);
  std::string req = Request("GET", created.body["output_stream_url"], api.dev_token);
  REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
  std::string seen;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  char buf[4096];
  while (!Contains(seen, "-----> building") && std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
  }
  CHECK(Contains(seen, "Transfer-Encoding: chunked"));
  CHECK(Contains(seen, "-----> building"));
  CHECK_FALSE(Contains(seen, "-----> built"));
  // Not yet on the branch.
  CHECK(api.env.repos.ResolveRef("web", "refs/heads/main").value() == "");
  gate.set_value();
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  CHECK(Contains(seen, "-----> built"));
  CHECK(seen.ends_with("0\r\n\r\n"));

  // Succeeded: the branch points at a commit of the archive's files (its top folder stripped).
  auto poll_status = [&](int64_t build) {
    std::string status;
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
         std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
      auto list = api.Call("GET", "/api/v1/apps/web/builds", api.dev_token);
      for (const auto& b : list.body) {
        if (b["id"] == build) status = b["status"];
      }
      if (status != "running") break;
    }
    return status;
  };
  CHECK(poll_status(id) == "succeeded");
  CHECK(api.env.repos.ResolveRef("web", "refs/heads/main").value() == commit);
  CHECK(api.env.repos.ReadFile("web", commit, "", "Procfile").value() == "web: node server.js\n");
  auto recorded = api.Call("GET", fmt::format("/api/v1/apps/web/builds/{}/output", id), api.dev_token);
  CHECK(recorded.status == 200);

  // A failing build leaves the branch where it was.
  fail = true;
  auto second = api.Call("POST", "/api/v1/apps/web/builds", api.dev_token,
                         TarGz({{"Procfile", "web: broken\n"}, {"x", "y"}}));
  REQUIRE(second.status == 201);
  CHECK(poll_status(second.body["id"]) == "failed");
  CHECK(api.env.repos.ResolveRef("web", "refs/heads/main").value() == commit);

  // Bad archives, another's app, a missing build.
  CHECK(api.Call("POST", "/api/v1/apps/web/builds", api.dev_token, "not an archive").status == 422);
  REQUIRE(Run(api.env, {"apps:create", "other"}).status == 0);
  CHECK(api.Call("POST", "/api/v1/apps/other/builds", api.dev_token, archive).status == 404);
  CHECK(api.Call("GET", "/api/v1/apps/web/builds/999/output", api.dev_token).status == 404);
  CHECK(api.Call("POST", "/api/v1/apps/web/builds", api.dev_token, std::string(2 << 20, 'x')).status == 413);
}

TEST_CASE("api logs: each line an event with its time as id - Last-Event-ID skips what the client saw - "
          "heartbeats and errors", "[api]") {
  std::string sent;
  ms::StreamWrite write = [&](std::string_view d) {
    sent.append(d);
    return true;
  };
  ms::LogEvents events(write, "2026-12-06T09:00:01.000000002Z");
  events.Write("2026-12-06T09:00:01.000000001Z web[web.1]: old\n2026-12-06T09:00:01.000000002Z web[web.1]: seen\n");
  // Docker drops a fraction's trailing zeros: both are before .000000002.
  events.Write("2026-12-06T09:00:00.9Z web[web.1]: old too\n2026-12-06T09:00:01Z web[web.1]: older\n");
  events.Write("2026-12-06T09:00:01.000000003Z web[web.1]: ne");
  CHECK(sent.empty());
  events.Write("w\n");
  CHECK(sent == "id: 2026-12-06T09:00:01.000000003Z\ndata: 2026-12-06T09:00:01.000000003Z web[web.1]: new\n\n");
  sent.clear();
  events.Write("2026-12-06T09:00:01.5Z web[web.1]: later\n");
  CHECK(sent == "id: 2026-12-06T09:00:01.5Z\ndata: 2026-12-06T09:00:01.5Z web[web.1]: later\n\n");
  sent.clear();
  events.Heartbeat();
  CHECK(sent == ": ping\n\n");
  sent.clear();
  events.Event("error", "web has no release yet\ngit push it first");
  CHECK(sent == "event: error\ndata: web has no release yet\ndata: git push it first\n\n");
  CHECK_FALSE(events.gone());
  ms::StreamWrite closed = [](std::string_view) { return false; };
  ms::LogEvents lost(closed, "");
  lost.Write("x y\n");
  CHECK(lost.gone());
}

TEST_CASE("api logs: a stream of Server-Sent Events - another's app is 404 before any stream", "[api]") {
  ApiEnv api;
  REQUIRE(Run(api.env, {"apps:create", "web"}, ms::Role::kDeveloper).status == 0);
  REQUIRE(Run(api.env, {"apps:create", "secret"}).status == 0);
  CHECK(api.Call("GET", "/api/v1/apps/secret/logs", api.dev_token).status == 404);
  CHECK(api.Call("GET", "/api/v1/apps/web/logs?lines=x", api.dev_token).status == 400);
  // This server runs no apps: the stream says so as an error event.
  std::string text;
  {
    int fd = ConnectTcp(api.port);
    std::string req = Request("GET", "/api/v1/apps/web/logs?lines=5&tail=1", api.dev_token);
    REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
  }
  CHECK(Contains(text, "HTTP/1.1 200"));
  CHECK(Contains(text, "Content-Type: text/event-stream"));
  CHECK(Contains(text, "event: error\ndata: "));
}
