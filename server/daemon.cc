#include "server/daemon.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "server/acme/cert_manager.h"
#include "server/addons/addon_changes.h"
#include "server/addons/addons.h"
#include "server/addons/backup_schedule.h"
#include "server/addons/pg_backups.h"
#include "server/api/api_server.h"
#include "server/apps/app_lifecycle.h"
#include "server/commands/dispatcher.h"
#include "server/common/log.h"
#include "server/builder/builder.h"
#include "server/builder/mothership_image.h"
#include "server/runtime/runtime.h"
#include "server/deploy/build_deploy_step.h"
#include "server/deploy/record_deploy_step.h"
#include "server/docker/engine_docker_client.h"
#include "server/registry/registry_credentials.h"
#include "server/git/git_service.h"
#include "server/git/hook_server.h"
#include "server/ssh/host_key.h"
#include "server/ssh/ssh_server.h"

namespace ms {
namespace {

// Leftovers of an interrupted run: half-deleted repositories, repositories with no
// app (a first push that never finished), deploys that never ended.
void Tidy(const Settings& settings, Store& store, AppRepos& repos, Builder* builder) {
  std::error_code ec;
  std::filesystem::remove_all(settings.TrashDir(), ec);
  std::filesystem::create_directories(settings.ReposDir(), ec);
  auto apps = store.ListApps();
  if (!apps) return;
  std::set<std::string> names;
  for (const auto& app : *apps) names.insert(app.name);
  for (const auto& entry : std::filesystem::directory_iterator(settings.ReposDir(), ec)) {
    std::string file = entry.path().filename().string();
    if (!file.ends_with(".git")) continue;
    std::string name = file.substr(0, file.size() - 4);
    if (!names.contains(name)) {
      LogInfo("removing the repository of unfinished push {}", name);
      (void)repos.Remove(name);
    }
  }
  for (const auto& name : names) {
    if (!repos.Exists(name)) {
      LogWarn("app {} had no repository; making an empty one", name);
      (void)repos.Create(name);
    } else if (auto r = repos.InstallHooks(name); !r) {
      LogWarn("{}", r.error().message);
    }
  }
  // Deploys the daemon stopped during: one whose release was recorded is done,
  // and its branch moves to it as git would have moved it; any other failed,
  // and the image it may have pushed goes.
  auto interrupted = store.FinishInterruptedDeploys();
  if (!interrupted) {
    LogWarn("cannot finish the deploys the daemon stopped during: {}", interrupted.error().message);
    return;
  }
  for (const auto& d : *interrupted) {
    if (d.status == "succeeded") {
      if (auto r = repos.SetRef(d.app, d.ref, d.commit); !r) {
        LogWarn("{}: the deploy of {} was recorded, but {} cannot point at it: {}", d.app, d.commit.substr(0, 7),
                d.ref, r.error().message);
      } else {
        LogInfo("{}: the deploy of {} was recorded before the daemon stopped; {} points at it", d.app,
                d.commit.substr(0, 7), d.ref);
      }
      continue;
    }
    LogInfo("{}: the deploy of {} stopped with the daemon; it failed", d.app, d.commit.substr(0, 7));
    if (!builder) continue;
    auto releases = store.ListReleases(d.app, 1000);
    auto next = store.NextReleaseVersion(d.app);
    if (releases && next) builder->RemoveUnreleasedImage(d.app, *next, *releases);
  }
}

}  // namespace

// The components, in the order they are built (and destroyed in reverse).
struct Daemon::Parts {
  Settings settings;
  int lock_fd = -1;
  std::unique_ptr<Store> store;
  std::string fingerprint;
  std::unique_ptr<AppRepos> repos;
  AppLocks locks;
  Sessions sessions;
  std::unique_ptr<EngineDockerClient> docker;
  std::unique_ptr<Builder> builder;
  std::unique_ptr<Runtime> runtime;
  std::unique_ptr<ProxyService> proxy;
  std::unique_ptr<CertManager> certs;
  std::unique_ptr<Addons> addons;
  std::unique_ptr<BackupSchedule> backup_schedule;
  std::optional<Engine> engine;
  std::unique_ptr<DeployStep> deploy;
  std::unique_ptr<Services> services;
  PushRegistry pushes;
  std::unique_ptr<HookServer> hooks;
  std::unique_ptr<GitService> git;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<SshServer> ssh;
  int port = 0;
  std::unique_ptr<ApiServer> api;  // (stops first: it runs commands on the services)
  int api_port = 0;

  ~Parts() {
    if (hooks) hooks->Stop();
    if (lock_fd >= 0) close(lock_fd);
  }
};

Daemon::Daemon(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Daemon::~Daemon() = default;
int Daemon::port() const { return parts_->port; }
int Daemon::api_port() const { return parts_->api_port; }
const Settings& Daemon::settings() const { return parts_->settings; }
const std::string& Daemon::host_key_fingerprint() const { return parts_->fingerprint; }
void Daemon::Serve() { parts_->ssh->Serve(); }
void Daemon::Stop() { parts_->ssh->Stop(); }

Result<std::unique_ptr<Daemon>> Daemon::Start(const DaemonFlags& flags, const MakeDeployStep& make_deploy) {
  // A write to a pipe or socket whose reader is gone (a git that stopped
  // reading a push, a client that left) is an error to handle, never the end
  // of the process, wherever the daemon runs.
  signal(SIGPIPE, SIG_IGN);
  auto loaded = LoadSettings(flags.data_dir);
  if (!loaded) return std::unexpected(loaded.error());
  auto p = std::make_unique<Parts>();
  Settings& settings = p->settings;
  settings = *loaded;
  if (flags.ssh_port) settings.ssh_port = *flags.ssh_port;
  if (flags.api_port) settings.api_port = *flags.api_port;
  if (flags.listen_address) settings.listen_address = *flags.listen_address;
  if (flags.domain) settings.domain = *flags.domain;
  if (auto r = ValidateSettings(settings); !r) return std::unexpected(r.error());
  // One daemon per data directory: the lock lasts as long as the Daemon.
  std::error_code ec;
  std::filesystem::create_directories(settings.RunDir(), ec);
  p->lock_fd = open((settings.RunDir() / "mothershipd.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (p->lock_fd < 0 || flock(p->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Busy(fmt::format("another mothershipd is already serving {}; stop it first", settings.data_dir.string()));
  }
  auto store = Store::Open(settings.DatabasePath());
  if (!store) return std::unexpected(store.error());
  p->store = std::move(*store);
  auto fingerprint = HostKeyFingerprint(settings.HostKeyPath());
  if (!fingerprint) return Failed(fmt::format("{} (run mothershipd setup)", fingerprint.error().message));
  p->fingerprint = *fingerprint;

  const std::filesystem::path prefix = InstallPrefix();
  p->repos = std::make_unique<AppRepos>(settings.ReposDir(),
                                        flags.hooks_dir.value_or(prefix / "share" / "mothership" / "hooks"),
                                        settings.TrashDir());
  Store& store_ref = *p->store;
  if (settings.deploy_step == "build") {
    p->docker = std::make_unique<EngineDockerClient>(settings.docker_socket);
    auto credentials = LoadRegistryCredentials(settings.registry, settings.RegistryDir());
    if (!credentials) return std::unexpected(credentials.error());
    if (*credentials) {
      p->docker->UseRegistryCredentials(settings.registry, (*credentials)->username, (*credentials)->password);
    }
    p->builder = std::make_unique<Builder>(settings, *p->docker, *p->repos,
                                           prefix / "share" / "mothership" / "buildpacks");
    p->runtime = std::make_unique<Runtime>(settings, *p->docker, store_ref);
    p->proxy = std::make_unique<ProxyService>(settings, *p->docker, store_ref, prefix);
    p->runtime->OnWebReady([proxy = p->proxy.get()](const std::string& app, const std::vector<std::string>& addresses) {
      proxy->AnnounceTasks(app, addresses);
    });
    p->certs = std::make_unique<CertManager>(settings, store_ref, *p->proxy);
    p->addons = std::make_unique<Addons>(settings, *p->docker, store_ref, *p->builder);
    p->engine.emplace(Engine{*p->builder, *p->runtime, *p->proxy, *p->certs, *p->addons});
    PgBackups(settings, store_ref, *p->addons).FinishInterrupted();
    p->backup_schedule = std::make_unique<BackupSchedule>(settings, store_ref, *p->addons, p->locks);
    p->backup_schedule->Start();
    p->builder->CleanLeftovers();
    // Running apps are left as they are; services of apps that are gone go.
    if (auto r = p->runtime->Reconcile(); !r) LogWarn("cannot reconcile with Docker Swarm yet: {}", r.error().message);
    if (auto r = p->proxy->Reconcile(); !r) LogWarn("cannot bring the proxy up to date: {}", r.error().message);
    p->certs->Start();
    p->deploy = std::make_unique<BuildDeployStep>(store_ref, *p->repos, *p->builder, *p->runtime, *p->proxy,
                                                  [certs = p->certs.get()] { certs->Wake(); });
  } else {
    p->deploy = std::make_unique<RecordDeployStep>(store_ref, *p->repos);
  }
  if (make_deploy) p->deploy = make_deploy(store_ref, *p->repos);
  p->services = std::make_unique<Services>(Services{settings, store_ref, *p->repos, p->locks,
                                                    *p->deploy, p->sessions,
                                                    p->engine ? &*p->engine : nullptr});
  Tidy(settings, store_ref, *p->repos, p->builder.get());
  FinishDestroyedApps(*p->services);
  ReconcileAddons(*p->services);

  p->hooks = std::make_unique<HookServer>(*p->services, p->pushes, settings.HookSocketPath());
  if (auto r = p->hooks->Start(); !r) return std::unexpected(r.error());
  p->git = std::make_unique<GitService>(*p->services, p->pushes, prefix / "bin" / "mothershipd",
                                        settings.HookSocketPath());
  p->dispatcher = std::make_unique<Dispatcher>(*p->services, *p->git);
  p->ssh = std::make_unique<SshServer>(
      SshServerOptions{settings.listen_address, settings.ssh_port, settings.HostKeyPath(),
                       settings.ssh_auth_timeout_seconds, settings.ssh_idle_timeout_seconds,
                       settings.ssh_max_connections},
      [&store_ref](const std::string& fp) -> std::optional<Caller> {
        auto key = store_ref.FindKeyByFingerprint(fp);
        if (!key || !*key) return std::nullopt;
        return Caller{(*key)->name, (*key)->role, "", "", (*key)->fingerprint};
      },
      p->sessions,
      [dispatcher = p->dispatcher.get()](const ExecRequest& request) { return dispatcher->Start(request); });
  auto port = p->ssh->Listen();
  if (!port) return std::unexpected(port.error());
  p->port = *port;
  ApiServerOptions api;
  api.socket_path = settings.ApiSocketPath();
  api.tcp_port = settings.api_port;
  api.max_connections = settings.api_max_connections;
  api.max_body_bytes = static_cast<size_t>(settings.max_push_mb) << 20;
  p->api = std::make_unique<ApiServer>(*p->services, api);
  auto api_port = p->api->Start();
  if (!api_port) return std::unexpected(api_port.error());
  p->api_port = *api_port;
  LogInfo("serving {} from {}", settings.domain, settings.data_dir.string());
  return std::unique_ptr<Daemon>(new Daemon(std::move(p)));
}

int RunDaemon(const DaemonFlags& flags) {
  // Signals are taken by one thread with sigwait; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto daemon = Daemon::Start(flags);
  if (!daemon) {
    std::fprintf(stderr, "mothershipd: %s\n", daemon.error().message.c_str());
    return 1;
  }
  std::printf("mothershipd %s listening on %s:%d (host key %s)\n", MOTHERSHIP_VERSION,
              (*daemon)->settings().listen_address.c_str(), (*daemon)->port(),
              (*daemon)->host_key_fingerprint().c_str());
  if ((*daemon)->api_port() > 0) std::printf("HTTP API on 127.0.0.1:%d\n", (*daemon)->api_port());
  std::fflush(stdout);

  Daemon& d = **daemon;
  std::thread waiter([&d, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    LogInfo("received signal {}; stopping", sig);
    d.Stop();
  });
  d.Serve();
  // Serve only returns after a signal, so the waiter has already finished.
  waiter.join();
  daemon->reset();
  LogInfo("stopped");
  return 0;
}

}  // namespace ms
