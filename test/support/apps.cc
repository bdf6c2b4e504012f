#include "test/support/apps.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <signal.h>

#include <chrono>
#include <random>
#include <thread>

#include <boost/process.hpp>

#include "server/docker/engine_docker_client.h"

namespace ms::test {

TestServer BuildServer(const std::function<void(Settings&)>& configure, int data_dir_mb) {
  TestServerOptions options;
  options.build = true;
  options.data_dir_mb = data_dir_mb;
  options.configure = [configure](ms::Settings& s) {
    s.registry = "localhost:5000";
    if (configure) configure(s);
  };
  return TestServer(options);
}

std::map<std::string, std::string> GitEnv(TestServer& s) {
  return {{"GIT_SSH_COMMAND", s.SshCommand(s.admin_key())}, {"GIT_CONFIG_NOSYSTEM", "1"}, {"HOME", s.dir().string()}};
}

std::string Unique(const std::string& base) {
  static std::random_device rd;
  return fmt::format("{}-{:06x}", base, rd() & 0xffffff);
}

std::filesystem::path SampleRepo(TestServer& s, const std::string& name) {
  // A second copy of the same sample is another repository.
  auto repo = s.dir() / ("src-" + name);
  for (int n = 2; std::filesystem::exists(repo); ++n) repo = s.dir() / fmt::format("src-{}-{}", name, n);
  std::filesystem::copy(std::filesystem::path(MOTHERSHIP_SOURCE_DIR) / "test" / "apps" / name, repo,
                        std::filesystem::copy_options::recursive);
  REQUIRE(s.Git({"init", "-q", "-b", "main"}, repo).exit_code == 0);
  REQUIRE(s.Git({"add", "-A"}, repo).exit_code == 0);
  REQUIRE(s.Git({"commit", "-q", "-m", "sample " + name}, repo).exit_code == 0);
  return repo;
}

void CommitAll(TestServer& s, const std::filesystem::path& repo, const std::string& message) {
  REQUIRE(s.Git({"add", "-A"}, repo).exit_code == 0);
  REQUIRE(s.Git({"commit", "-q", "-m", message}, repo).exit_code == 0);
}

void SetDefaultGreeting(TestServer& s, const std::filesystem::path& repo, const std::string& greeting) {
  std::string code = ReadFile(repo / "server.js");
  const std::string before = "process.env.GREETING || \"";
  auto at = code.find(before);
  REQUIRE(at != std::string::npos);
  at += before.size();
  auto end = code.find('"', at);
  REQUIRE(end != std::string::npos);
  code.replace(at, end - at, greeting);
  WriteFile(repo / "server.js", code);
  CommitAll(s, repo, "greeting " + greeting);
}

std::string Push(TestServer& s, const std::filesystem::path& repo, const std::string& app, RunResult* out) {
  auto push = s.Git({"push", s.Url(app), "main"}, repo);
  INFO(push.Both());
  if (out) *out = push;
  REQUIRE(push.exit_code == 0);
  CHECK(push.err.find("remote: -----> Released v") != std::string::npos);
  return push.err;
}

std::unique_ptr<Store> OpenStore(TestServer& s) {
  auto store = Store::Open(s.data_dir() / "mothership.db");
  REQUIRE(store);
  return std::move(*store);
}

std::string MakeToken(TestServer& s, const std::filesystem::path& key, const std::string& name) {
  auto made = s.SshAs(key, "tokens:create " + name);
  INFO(made.Both());
  REQUIRE(made.exit_code == 0);
  return made.out.substr(0, made.out.find('\n'));
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string ManifestStatus(const std::string& image, const std::string& tag) {
  return Run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-H",
              "Accept: application/vnd.docker.distribution.manifest.v2+json", "-H",
              "Accept: application/vnd.oci.image.manifest.v1+json", "-H",
              "Accept: application/vnd.oci.image.index.v1+json",
              fmt::format("http://localhost:5000/v2/{}/manifests/{}", image, tag)})
      .out;
}

void AnswersWith(TestServer& s, const std::string& app, const std::string& text) {
  std::string body;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    body = Run({"curl", "-s", "--max-time", "5", "-H", "Host: " + app + ".localhost",
                fmt::format("http://127.0.0.1:{}/", s.http_port())})
               .out;
    if (body.find(text) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  INFO(app << " answered: " << body);
  CHECK(body.find(text) != std::string::npos);
}

std::string RunOnNetwork(const std::string& network, const std::string& script) {
  EngineDockerClient docker;
  ContainerSpec spec;
  spec.image = "mothership/run:bookworm";
  spec.cmd = {script};  // the image's entrypoint runs it with bash
  spec.labels = {{"mothership.role", "test"}};
  spec.network_mode = network;
  auto id = docker.CreateContainer(spec);
  REQUIRE(id);
  std::string out;
  auto attached = docker.Attach(
      *id, -1,
      [&](int, std::string_view data) {
        out.append(data);
        return true;
      },
      false, nullptr);
  (void)docker.WaitContainer(*id);
  (void)docker.RemoveContainer(*id);
  REQUIRE(attached);
  return out;
}

std::string ProxyGetUntil(TestServer& s, const std::string& app, const std::string& path, const std::string& want) {
  std::string last;
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90);
       std::chrono::steady_clock::now() < until;) {
    last = Trim(Run({"curl", "-s", "-m", "10", "-H", "Host: " + app + ".localhost",
                     fmt::format("http://127.0.0.1:{}{}", s.http_port(), path)})
                    .out);
    if (last.starts_with(want)) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return last;
}

std::string HttpGet(const std::string& network, const std::string& host) {
  return RunOnNetwork(network, fmt::format("exec 3<>/dev/tcp/{}/5000 && printf 'GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n' >&3 "
                                           "&& timeout 10 cat <&3 | tail -n 1",
                                           host));
}

bool HttpGetFinds(const std::string& network, const std::string& host, const std::string& text) {
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);;) {
    if (HttpGet(network, host).find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Load::Load(TestServer& s, const std::string& app, int connections, int timeout_seconds)
    : report_(s.dir() / ("wrk-" + app + ".out")) {
  namespace bp = boost::process;
  wrk_ = std::make_unique<bp::child>(
      "/usr/bin/wrk",
      bp::args({"-t1", fmt::format("-c{}", connections), "-d600s", fmt::format("--timeout={}s", timeout_seconds),
                "-H", "Host: " + app + ".localhost",
                fmt::format("http://127.0.0.1:{}/", s.http_port())}),
      bp::std_out > report_.string(), bp::std_err > bp::null);
}

Load::~Load() {
  if (wrk_ && wrk_->running()) {
    ::kill(wrk_->id(), SIGKILL);
    wrk_->wait();
  }
}

std::string Load::Finish() {
  ::kill(wrk_->id(), SIGINT);
  wrk_->wait();
  std::string out = ReadFile(report_);
  INFO(out);
  if (auto at = out.find("requests in"); at != std::string::npos) {
    WARN("wrk: " << out.substr(out.rfind('\n', at) + 1, out.find('\n', at) - out.rfind('\n', at) - 1));
  }
  if (auto at = out.find("Latency"); at != std::string::npos) {
    WARN("wrk: " << out.substr(at, out.find('\n', at) - at));
  }
  CHECK(out.find("requests in") != std::string::npos);
  CHECK(out.find("Non-2xx") == std::string::npos);
  CHECK(out.find("Socket errors") == std::string::npos);
  return out;
}

CurlLoad::CurlLoad(const std::string& app, int port)
    : thread_([this, app, port] {
        while (!stop_) {
          auto r = Run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "-H",
                        "Host: " + app + ".localhost", fmt::format("http://127.0.0.1:{}/", port)});
          std::lock_guard lock(mu_);
          ++requests_;
          if (r.out != "200") failures_.push_back(r.out.empty() ? "no answer" : r.out);
        }
      }) {}

void CurlLoad::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

int CurlLoad::requests() {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<std::string> CurlLoad::failures() {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace ms::test
