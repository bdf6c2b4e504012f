#include "server/setup/setup.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "server/builder/builder.h"
#include "server/builder/mothership_image.h"
#include "server/proxy/proxy_service.h"
#include "server/runtime/runtime.h"
#include "server/config/settings.h"
#include "server/docker/engine_docker_client.h"
#include "server/git/app_repos.h"
#include "server/setup/registry.h"
#include "server/ssh/host_key.h"
#include "server/keys/public_key.h"
#include "server/store/store.h"

namespace ms {
namespace {

using Steady = std::chrono::steady_clock;

std::string Since(Steady::time_point start) {
  return fmt::format("{:.1f} s", std::chrono::duration<double>(Steady::now() - start).count());
}

}  // namespace

Result<void> RunSetup(const SetupOptions& options, Output& out) {
  // Read the admin key first: a wrong path must not leave a half-made directory.
  std::ifstream key_file(options.admin_key);
  if (!key_file) {
    return InvalidArgument(fmt::format("cannot read the admin key {}; pass your public key, for "
                                       "example --admin-key ~/.ssh/id_ed25519.pub",
                                       options.admin_key.string()));
  }
  std::stringstream key_text;
  key_text << key_file.rdbuf();
  auto key = ParsePublicKey(key_text.str());
  if (!key) {
    return InvalidArgument(fmt::format("{}: {}", options.admin_key.string(), key.error().message));
  }

  Settings settings;
  settings.data_dir = std::filesystem::absolute(options.data_dir);
  std::error_code ec;
  std::filesystem::create_directories(settings.data_dir, ec);
  if (ec) {
    return Failed(fmt::format("cannot create {}: {}", settings.data_dir.string(), ec.message()));
  }
  std::filesystem::permissions(settings.data_dir, std::filesystem::perms(0700), ec);

  if (std::filesystem::exists(settings.ConfigPath())) {
    auto existing = LoadSettings(settings.data_dir);
    if (!existing) return std::unexpected(existing.error());
    settings = *existing;
    WriteLine(out, fmt::format("Config {} exists; left as it is.", settings.ConfigPath().string()));
    if ((options.ssh_port && *options.ssh_port != settings.ssh_port) ||
        (options.domain && *options.domain != settings.domain)) {
      WriteLine(out, fmt::format("  (it says ssh_port {} and domain {}; edit it to change them)",
                      settings.ssh_port, settings.domain));
    }
  } else {
    if (options.ssh_port) settings.ssh_port = *options.ssh_port;
    if (options.domain) settings.domain = *options.domain;
    if (options.deploy_step) settings.deploy_step = *options.deploy_step;
    if (options.registry) settings.registry = *options.registry;
    if (auto r = ValidateSettings(settings); !r) return r;
    if (auto r = SaveSettings(settings); !r) return r;
    WriteLine(out, fmt::format("Wrote {} (ssh_port {}, domain {}).", settings.ConfigPath().string(),
                    settings.ssh_port, settings.domain));
  }

  auto start = Steady::now();
  auto created = EnsureHostKey(settings.HostKeyPath());
  if (!created) return std::unexpected(created.error());
  auto fingerprint = HostKeyFingerprint(settings.HostKeyPath());
  if (!fingerprint) return std::unexpected(fingerprint.error());
  WriteLine(out, fmt::format("{} host key {} ({}).", *created ? "Created" : "Kept", *fingerprint, Since(start)));

  start = Steady::now();
  std::filesystem::create_directories(settings.ReposDir(), ec);
  auto store = Store::Open(settings.DatabasePath());
  if (!store) return std::unexpected(store.error());
  WriteLine(out, fmt::format("Database {} is ready ({}).", settings.DatabasePath().string(), Since(start)));

  auto existing = (*store)->FindKeyByFingerprint(key->fingerprint);
  if (!existing) return std::unexpected(existing.error());
  if (*existing) {
    WriteLine(out, fmt::format("Admin key {} is already registered as '{}' ({}).", key->fingerprint,
                    (*existing)->name, RoleName((*existing)->role)));
  } else {
    SshKey admin{0, options.admin_name, key->fingerprint, key->Line(), Role::kAdmin, ""};
    auto added = (*store)->AddKey(admin);
    for (int i = 2; !added && added.error().code == ErrorCode::kAlreadyExists && i < 100; ++i) {
      admin.name = fmt::format("{}-{}", options.admin_name, i);
      added = (*store)->AddKey(admin);
    }
    if (!added) return std::unexpected(added.error());
    WriteLine(out, fmt::format("Registered admin key '{}' ({}).", added->name, added->fingerprint));
  }

  if (settings.deploy_step != "build") {
    WriteLine(out, fmt::format("deploy_step is '{}': pushes are recorded, nothing is built; no Docker steps.",
                    settings.deploy_step));
    return {};
  }

  // The Docker steps, each timed. Any of them failing leaves what is done in
  // place: running setup again goes on from there.
  EngineDockerClient docker(settings.docker_socket);
  start = Steady::now();
  auto version = docker.ApiVersion();
  if (!version) {
    return Unavailable(fmt::format(
        "the Docker engine does not answer on {} ({}). Start it (`systemctl start docker`, or `dockerd &`; "
        "scripts/start-services does that on a fresh machine) and run setup again; what is done stays done",
        settings.docker_socket, version.error().message));
  }
  WriteLine(out, fmt::format("Docker engine answers on {} (API {}) ({}).", settings.docker_socket, *version, Since(start)));

  start = Steady::now();
  auto swarm = EnsureSwarmManager(docker, settings);
  if (!swarm) return std::unexpected(swarm.error());
  WriteLine(out, fmt::format("{} ({}).", *swarm ? "Initialised Docker Swarm; this engine is its manager"
                                      : "Docker Swarm: this engine is a manager",
                  Since(start)));

  const auto prefix = InstallPrefix();
  start = Steady::now();
  AppRepos repos(settings.ReposDir(), {}, settings.TrashDir());
  Builder builder(settings, docker, repos, prefix / "share" / "mothership" / "buildpacks");
  if (auto r = builder.EnsureStackImages(false, out); !r) return r;
  WriteLine(out, fmt::format("Stack images {} and {} are ready ({}).", settings.build_image, settings.run_image, Since(start)));

  start = Steady::now();
  if (auto r = EnsureRegistry(settings, docker, out); !r) return r;
  WriteLine(out, fmt::format("The registry {} is ready ({}).", settings.registry, Since(start)));

  start = Steady::now();
  ProxyService proxy(settings, docker, **store, prefix);
  auto image = proxy.EnsureImage(out);
  if (!image) return std::unexpected(image.error());
  WriteLine(out, fmt::format("The Mothership image {} is ready ({}).", *image, Since(start)));

  start = Steady::now();
  if (auto r = proxy.Ensure(out); !r) return r;
  WriteLine(out, fmt::format("The proxy ({}-edge, {}) answers on port {} ({}).", settings.proxy_service,
                  settings.proxy_service, settings.http_port, Since(start)));

  WriteLine(out, "");
  WriteLine(out, "Next:");
  WriteLine(out, fmt::format("  mothershipd --data-dir {}        # start the daemon (or: systemctl start mothershipd)",
                  settings.data_dir.string()));
  WriteLine(out, "  then, on your machine, in your app's git repository:");
  WriteLine(out, fmt::format("    mothership remote:add {}{}", settings.domain == "localhost" ? "HOST" : settings.domain,
                  settings.ssh_port == 2222 ? "" : fmt::format(":{}", settings.ssh_port)));
  WriteLine(out, "    git push mothership main");
  WriteLine(out, fmt::format("  or with git and ssh alone: git remote add mothership ssh://git@HOST:{}/APP", settings.ssh_port));
  return {};
}

}  // namespace ms
