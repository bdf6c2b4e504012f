#include "server/daemon.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "server/commands/dispatcher.h"
#include "server/common/log.h"
#include "server/builder/builder.h"
#include "server/builder/mothership_image.h"
#include "server/runtime/runtime.h"
#include "server/deploy/build_deploy_step.h"
#include "server/deploy/record_deploy_step.h"
#include "server/docker/engine_docker_client.h"
#include "server/git/git_service.h"
#include "server/git/hook_server.h"
#include "server/ssh/host_key.h"
#include "server/ssh/ssh_server.h"

namespace ms {
namespace {

// Leftovers of an interrupted run: half-deleted repositories, repositories with no
// app (a first push that never finished), deploys that never ended.
void Tidy(const Settings& settings, Store& store, AppRepos& repos) {
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
  if (auto n = store.FailInterruptedDeploys(); n && *n > 0) {
    LogInfo("marked {} interrupted deploy(s) as failed", *n);
  }
}

}  // namespace

int RunDaemon(const DaemonFlags& flags) {
  auto loaded = LoadSettings(flags.data_dir);
  if (!loaded) {
    std::fprintf(stderr, "mothershipd: %s\n", loaded.error().message.c_str());
    return 1;
  }
  Settings settings = *loaded;
  if (flags.ssh_port) settings.ssh_port = *flags.ssh_port;
  if (flags.listen_address) settings.listen_address = *flags.listen_address;
  if (flags.domain) settings.domain = *flags.domain;
  if (auto r = ValidateSettings(settings); !r) {
    std::fprintf(stderr, "mothershipd: %s\n", r.error().message.c_str());
    return 1;
  }
  // One daemon per data directory: the lock lasts as long as the process.
  std::error_code ec;
  std::filesystem::create_directories(settings.RunDir(), ec);
  int lock_fd = open((settings.RunDir() / "mothershipd.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    std::fprintf(stderr, "mothershipd: another mothershipd is already serving %s; stop it first\n",
                 settings.data_dir.c_str());
    return 1;
  }
  auto store = Store::Open(settings.DatabasePath());
  if (!store) {
    std::fprintf(stderr, "mothershipd: %s\n", store.error().message.c_str());
    return 1;
  }
  auto fingerprint = HostKeyFingerprint(settings.HostKeyPath());
  if (!fingerprint) {
    std::fprintf(stderr, "mothershipd: %s (run mothershipd setup)\n", fingerprint.error().message.c_str());
    return 1;
  }

  // Signals are taken by one thread with sigwait; every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const std::filesystem::path prefix = InstallPrefix();
  std::filesystem::path hooks_dir =
      flags.hooks_dir.value_or(prefix / "share" / "mothership" / "hooks");
  AppRepos repos(settings.ReposDir(), hooks_dir, settings.TrashDir());
  AppLocks locks;
  EngineDockerClient docker(settings.docker_socket);
  Builder builder(settings, docker, repos, prefix / "share" / "mothership" / "buildpacks");
  RecordDeployStep record_step(**store, repos);
  Runtime runtime(settings, docker, **store);
  ProxyService proxy(settings, docker, **store, prefix);
  BuildDeployStep build_step(**store, repos, builder, runtime, proxy);
  DeployStep& deploy = settings.deploy_step == "record" ? static_cast<DeployStep&>(record_step)
                                                        : static_cast<DeployStep&>(build_step);
  bool docker_used = settings.deploy_step == "build";
  if (docker_used) {
    builder.CleanLeftovers();
    // Running apps are left as they are; services of apps that are gone go.
    if (auto r = runtime.Reconcile(); !r) LogWarn("cannot reconcile with Docker Swarm yet: {}", r.error().message);
    if (auto r = proxy.Reconcile(); !r) LogWarn("cannot bring the proxy up to date: {}", r.error().message);
  }
  Services services{settings, **store, repos, locks, deploy, docker_used ? &builder : nullptr,
                    docker_used ? &runtime : nullptr, docker_used ? &proxy : nullptr};
  Tidy(settings, **store, repos);

  PushRegistry pushes;
  HookServer hooks(services, pushes, settings.HookSocketPath());
  if (auto r = hooks.Start(); !r) {
    std::fprintf(stderr, "mothershipd: %s\n", r.error().message.c_str());
    return 1;
  }
  GitService git(services, pushes, prefix / "bin" / "mothershipd", settings.HookSocketPath());
  Dispatcher dispatcher(services, git);

  Store& key_store = **store;
  SshServer ssh(
      SshServerOptions{settings.listen_address, settings.ssh_port, settings.HostKeyPath(),
                       settings.ssh_auth_timeout_seconds, settings.ssh_idle_timeout_seconds,
                       settings.ssh_max_connections},
      [&key_store](const std::string& fp) -> std::optional<Caller> {
        auto key = key_store.FindKeyByFingerprint(fp);
        if (!key || !*key) return std::nullopt;
        return Caller{(*key)->name, (*key)->role};
      },
      [&dispatcher](const ExecRequest& request) { return dispatcher.Start(request); });
  auto port = ssh.Listen();
  if (!port) {
    std::fprintf(stderr, "mothershipd: %s\n", port.error().message.c_str());
    return 1;
  }
  std::printf("mothershipd %s listening on %s:%d (host key %s)\n", MOTHERSHIP_VERSION,
              settings.listen_address.c_str(), *port, fingerprint->c_str());
  std::fflush(stdout);
  LogInfo("serving {} from {}", settings.domain, settings.data_dir.string());

  std::thread waiter([&ssh, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    LogInfo("received signal {}; stopping", sig);
    ssh.Stop();
  });
  ssh.Serve();
  hooks.Stop();
  if (waiter.joinable()) {
    // Serve only returns after a signal, so the waiter has already finished.
    waiter.join();
  }
  LogInfo("stopped");
  return 0;
}

}  // namespace ms
