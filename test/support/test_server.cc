#include "test/support/test_server.h"

#include "server/docker/engine_docker_client.h"

#include <fmt/format.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace bp = boost::process;

namespace ms::test {

std::string BinDir() { return MOTHERSHIP_BIN_DIR; }

namespace {

void Require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}


}  // namespace

namespace {

// Whether a listener could take the port on loopback now.
bool Bindable(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as the daemon and proxy bind
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

int FreePort() {
  // Tests run as many processes at once. A port the kernel picks (bind to 0) comes from the
  // ephemeral range, which every outgoing connection on the machine also draws from, and another
  // test process may pick it too before the daemon binds it (CI: "cannot listen on
  // 127.0.0.1:33861 for the API"). So: a port below that range (and below Docker's 30000-32767
  // for published ports), held for this process by an flock on a file named after it.
  static std::mutex mu;
  std::lock_guard lock(mu);
  static const std::filesystem::path dir = "/tmp/mothership-test-ports";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  static std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 29999);
  for (int tries = 0; tries < 10000; ++tries) {
    const int port = pick(rng);
    int fd = ::open((dir / std::to_string(port)).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {  // (in this process too: a new open file description)
      ::close(fd);
      continue;
    }
    if (!Bindable(port)) {
      ::close(fd);
      continue;
    }
    return port;  // the descriptor stays open, and the lock held, until the process ends
  }
  throw std::runtime_error("no free port in 20000-29999 (see /tmp/mothership-test-ports)");
}

TestServer::TestServer(TestServerOptions options) : options_(std::move(options)) {
  admin_key_ = NewKey("admin");
  if (options_.data_dir_mb > 0) {
    std::filesystem::create_directories(data_dir());
    auto mount = Run({"mount", "-t", "tmpfs", "-o", fmt::format("size={}m", options_.data_dir_mb), "tmpfs",
                      data_dir().string()});
    Require(mount.exit_code == 0, "cannot mount a tmpfs: " + mount.Both());
    data_mount_ = std::shared_ptr<void>(nullptr, [at = data_dir()](void*) { Run({"umount", "-l", at.string()}); });
  }
  // Setup first records only; a build server's settings (its own proxy, on
  // free ports) are written before setup runs again for the Docker steps.
  const std::vector<std::string> setup = {BinDir() + "/mothershipd", "setup", "--data-dir", data_dir().string(),
                                          "--admin-key", admin_key_.string() + ".pub", "--ssh-port", "0",
                                          "--deploy-step", "record"};
  auto first = Run(setup);
  Require(first.exit_code == 0, "setup failed: " + first.Both());
  {
    auto settings = LoadSettings(data_dir());
    Require(settings.has_value(), "cannot load settings");
    // Its own loopback port for the HTTP API.
    settings->api_port = FreePort();
    api_port_ = settings->api_port;
    if (options_.build) {
      settings->deploy_step = "build";
      // Test daemons share one Swarm: each has its own proxy, on free ports.
      settings->proxy_service = proxy_service();
      settings->http_port = FreePort();
      settings->https_port = FreePort();
      settings->proxy_metrics_port = FreePort();
      http_port_ = settings->http_port;
      https_port_ = settings->https_port;
      metrics_port_ = settings->proxy_metrics_port;
    }
    if (options_.configure) options_.configure(*settings);
    Require(SaveSettings(*settings).has_value(), "cannot save settings");
    // (Not for a test of a Docker engine that does not answer.)
    if (options_.build && std::filesystem::exists(settings->docker_socket)) {
      auto again = Run(setup);
      Require(again.exit_code == 0, "setup failed: " + again.Both());
    }
  }
  Start();
}

TestServer::~TestServer() {
  if (daemon_ && !daemon_->running()) ReportUnexpectedExit();
  if (in_process_ || (daemon_ && daemon_->running())) Stop();
  if (options_.build) {
    // Apps keep running when their daemon stops; a test's apps go with the test.
    Settings settings;
    settings.data_dir = data_dir();
    EngineDockerClient docker;
    auto services = docker.ListServices({{"label", {"mothership.install=" + settings.InstallId()}}});
    if (!services) return;
    std::set<std::string> apps, networks, images;
    // Every app pushed to, deployed or not: its network and build cache go too.
    std::error_code ec;
    for (const auto& repo : std::filesystem::directory_iterator(settings.ReposDir(), ec)) {
      if (repo.path().extension() == ".git") apps.insert(repo.path().stem().string());
    }
    std::set<std::string> addons;
    for (const auto& svc : *services) {
      if (std::string addon = svc.Label("mothership.addon"); !addon.empty()) addons.insert(addon);
      std::string app = svc.Label("mothership.app");
      if (!app.empty()) {  // (not the proxy: its image is shared)
        apps.insert(app);
        images.insert(svc.image.substr(0, svc.image.find('@')));
      }
      (void)docker.RemoveService(svc.id);
    }
    for (const auto& app : apps) networks.insert(app + "-net");
    // A network goes once its tasks have stopped; then the images they ran.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!networks.empty() && std::chrono::steady_clock::now() < deadline) {
      for (auto it = networks.begin(); it != networks.end();) {
        auto removed = docker.RemoveNetwork(*it);
        it = removed || removed.error().code == ms::ErrorCode::kNotFound ? networks.erase(it) : std::next(it);
      }
      if (!networks.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    // The tasks' containers stop within their grace period (10 s: a process
    // that ignores SIGTERM takes all of it) and hold their images until then.
    for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
         std::chrono::steady_clock::now() < until;) {
      auto left = docker.ListContainers("mothership.install=" + settings.InstallId());
      if (!left || left->empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    for (const auto& image : images) (void)docker.RemoveImage(image);
    // And every release's image the engine pulled for a task (by digest:
    // untagged, so the tags above do not name them).
    // (A container of a task still stopping holds its image: a few tries.)
    if (auto loaded = LoadSettings(data_dir()); loaded && !loaded->registry.empty()) {
      std::vector<std::string> filters = {"images", "-q"};
      for (const auto& app : apps) {
        filters.push_back("--filter");
        filters.push_back("reference=" + loaded->registry + "/" + app);
      }
      for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
           !apps.empty() && std::chrono::steady_clock::now() < until;) {
        std::vector<std::string> command = {"docker"};
        command.insert(command.end(), filters.begin(), filters.end());
        std::istringstream ids(Run(command).out);
        std::set<std::string> unique;
        for (std::string id; ids >> id;) unique.insert(id);
        if (unique.empty()) break;
        for (const auto& id : unique) (void)docker.RemoveImage(id);
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    }
    for (const auto& app : apps) (void)docker.RemoveVolume(fmt::format("mothership-cache-{}-{}", settings.InstallId(), app));
    // The data of its add-ons and its apps' storage (scripts/clean-docker
    // never removes those: they may be someone's data; a test's are not).
    for (const auto& addon : addons) {
      // (In use until the task's container is gone.)
      const std::string volume = fmt::format("mothership-addon-{}-{}", settings.InstallId(), addon);
      for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);;) {
        if (docker.RemoveVolume(volume) || std::chrono::steady_clock::now() > until) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    }
    // Storage volumes (their apps' tasks stopped with the networks above); a
    // cache volume still used by a builder a killed daemon left stays.
    if (auto labelled = docker.ListVolumes("mothership.install=" + settings.InstallId()); labelled) {
      for (const auto& volume : *labelled) (void)docker.RemoveVolume(volume);
    }
    KeepSanitizerReports(docker, settings.InstallId());
  }
}

bool TestServer::running() {
  if (in_process_) return true;
  if (!daemon_ || daemon_->running()) return daemon_ != nullptr;
  ReportUnexpectedExit();
  return false;
}

void TestServer::ReportUnexpectedExit() {
  if (exit_reported_) return;
  exit_reported_ = true;
  // The test's directory goes with the test: the log is copied next to the
  // binaries (as the sanitizer reports are) and its end printed.
  int status = daemon_->native_exit_code();
  std::string how = WIFSIGNALED(status) ? fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                                                      ::strsignal(WTERMSIG(status)))
                                        : fmt::format("exited with status {}", WEXITSTATUS(status));
  Settings settings;
  settings.data_dir = data_dir();
  const auto keep = std::filesystem::path(BinDir()).parent_path() / "daemon-logs";
  const auto copy = keep / (settings.InstallId() + "-daemon.err");
  std::error_code ec;
  std::filesystem::create_directories(keep, ec);
  std::filesystem::copy_file(dir() / "daemon.err", copy, std::filesystem::copy_options::overwrite_existing, ec);
  std::string log = Log();
  constexpr std::size_t kTail = 12000;
  if (log.size() > kTail) log = "...\n" + log.substr(log.size() - kTail);
  std::fprintf(stderr, "test server: mothershipd %s while the test still used it (whole log: %s); its log ends:\n%s\n",
               how.c_str(), copy.c_str(), log.c_str());
}

void TestServer::KeepSanitizerReports(DockerClient& docker, const std::string& install_id) {
  // A sanitizer build's proxy (its edge and worker) writes its reports to
  // DATA_DIR/proxy/run/sanitizer.PID (server/proxy/proxy_service.cc), at the
  // latest when it exits. They go where scripts/test looks after the run.
  const auto reports = data_dir() / "proxy" / "run";
  const auto keep = std::filesystem::path(BinDir()).parent_path() / "sanitizer-reports";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  // The proxy's containers have stopped (they drain for up to 30 s).
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = docker.ListContainers("mothership.install=" + install_id);
    if (!left || std::none_of(left->begin(), left->end(), [](const ContainerSummary& c) {
          auto role = c.labels.find("mothership.role");
          return role != c.labels.end() && role->second == "proxy";
        })) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(reports, ec)) {
    if (!entry.path().filename().string().starts_with("sanitizer")) continue;
    std::filesystem::create_directories(keep, ec);
    std::filesystem::copy_file(entry.path(), keep / (install_id + "-" + entry.path().filename().string()),
                               std::filesystem::copy_options::overwrite_existing, ec);
    std::fprintf(stderr, "test server: the proxy's sanitizer report %s:\n%s\n", entry.path().c_str(),
                 ReadFile(entry.path()).c_str());
  }
}

void TestServer::Start() {
  if (options_.deploy_script) {
    DaemonFlags flags;
    flags.data_dir = data_dir();
    flags.listen_address = "127.0.0.1";
    if (port_ != 0) flags.ssh_port = port_;
    DeployScript& script = *options_.deploy_script;
    auto daemon = Daemon::Start(flags, [&script](Store& store, AppRepos& repos) {
      return MakeScriptedDeployStep(store, repos, script);
    });
    Require(daemon.has_value(), "the daemon did not start: " + (daemon ? "" : daemon.error().message));
    in_process_ = std::move(*daemon);
    port_ = in_process_->port();
    serving_ = std::thread([this] { in_process_->Serve(); });
    return;
  }
  auto out = dir() / "daemon.out";
  std::filesystem::remove(out);
  std::vector<std::string> args = {"--data-dir", data_dir().string(), "--listen", "127.0.0.1"};
  if (port_ != 0) {
    args.push_back("--ssh-port");
    args.push_back(std::to_string(port_));
  }
  daemon_ = std::make_unique<bp::child>(BinDir() + "/mothershipd", bp::args(args),
                                        bp::std_out > out.string(),
                                        bp::std_err > (dir() / "daemon.err").string());
  // Poll (with a deadline) for the line that says where it listens.
  std::regex listening(R"(listening on [0-9.]+:([0-9]+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    std::smatch m;
    std::string text = ReadFile(out);
    if (std::regex_search(text, m, listening)) {
      port_ = std::stoi(m[1]);
      return;
    }
    Require(daemon_->running(), "mothershipd exited: " + Log());
    Require(std::chrono::steady_clock::now() < deadline, "mothershipd did not start: " + Log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string TestServer::proxy_service() const {
  Settings settings;
  settings.data_dir = data_dir();
  return "ms-proxy-" + settings.InstallId();
}

int TestServer::Stop() {
  if (in_process_) {
    in_process_->Stop();
    serving_.join();
    in_process_.reset();
    return 0;
  }
  if (!daemon_) return -1;
  if (!running()) {  // ended on its own (reported); its pid may be another process's now
    int status = daemon_->native_exit_code();
    daemon_.reset();
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  ::kill(daemon_->id(), SIGTERM);
  daemon_->wait();
  int code = daemon_->exit_code();
  daemon_.reset();
  return code;
}

void TestServer::Kill() {
  Require(daemon_ != nullptr, "Kill needs the mothershipd process (not the in-process daemon)");
  Require(running(), "mothershipd had already ended before Kill");
  ::kill(daemon_->id(), SIGKILL);
  daemon_->wait();
  daemon_.reset();
}

std::filesystem::path TestServer::NewKey(const std::string& name) {
  auto path = dir() / ("key-" + name);
  auto r = Run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path.string()});
  Require(r.exit_code == 0, "ssh-keygen failed: " + r.Both());
  return path;
}

void TestServer::AddKey(const std::string& name, const std::filesystem::path& key,
                        const std::string& role) {
  auto r = Ssh(fmt::format("keys:add {} --role {}", name, role), ReadFile(key.string() + ".pub"));
  Require(r.exit_code == 0, "keys:add failed: " + r.Both());
}

std::string TestServer::SshCommand(const std::filesystem::path& key) const {
  return fmt::format(
      "ssh -p {} -i {} -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes "
      "-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={} -o LogLevel=ERROR",
      port_, key.string(), (dir() / "known_hosts").string());
}

RunResult TestServer::SshAs(const std::filesystem::path& key, const std::string& command_line,
                            const std::string& stdin_data) {
  std::vector<std::string> argv = {"ssh",
                                    "-p",
                                    std::to_string(port_),
                                    "-i",
                                    key.string(),
                                    "-o",
                                    "IdentitiesOnly=yes",
                                    "-o",
                                    "IdentityAgent=none",
                                    "-o",
                                    "BatchMode=yes",
                                    "-o",
                                    "StrictHostKeyChecking=accept-new",
                                    "-o",
                                    "UserKnownHostsFile=" + (dir() / "known_hosts").string(),
                                    "-o",
                                    "LogLevel=ERROR",
                                    "git@127.0.0.1",
                                    command_line};
  return Run(argv, RunOptions{stdin_data, {}, {}});
}

RunResult TestServer::Git(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                          const std::filesystem::path& key) {
  std::vector<std::string> argv = {"git"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.cwd = cwd;
  options.env = {{"GIT_SSH_COMMAND", SshCommand(key.empty() ? admin_key_ : key)},
                 {"GIT_CONFIG_NOSYSTEM", "1"},
                 {"HOME", dir().string()},
                 {"GIT_AUTHOR_NAME", "Test"},
                 {"GIT_AUTHOR_EMAIL", "test@example.com"},
                 {"GIT_COMMITTER_NAME", "Test"},
                 {"GIT_COMMITTER_EMAIL", "test@example.com"}};
  return Run(argv, options);
}

std::string TestServer::Url(const std::string& path) const {
  return fmt::format("ssh://git@127.0.0.1:{}/{}", port_, path);
}

std::filesystem::path TestServer::MakeRepo(const std::string& name, int commits) {
  auto repo = dir() / name;
  std::filesystem::create_directories(repo);
  Require(Git({"init", "-q", "-b", "main"}, repo).exit_code == 0, "git init failed");
  for (int i = 1; i <= commits; ++i) {
    WriteFile(repo / "file.txt", fmt::format("version {}\n", i));
    Require(Git({"add", "file.txt"}, repo).exit_code == 0, "git add failed");
    auto r = Git({"commit", "-q", "-m", fmt::format("commit {}", i)}, repo);
    Require(r.exit_code == 0, "git commit failed: " + r.Both());
  }
  return repo;
}

std::string TestServer::Head(const std::filesystem::path& repo, const std::string& rev) {
  auto r = Git({"rev-parse", rev}, repo);
  std::string sha = r.out;
  while (!sha.empty() && (sha.back() == '\n' || sha.back() == '\r')) sha.pop_back();
  return sha;
}

}  // namespace ms::test
