#include "server/setup/setup.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "server/build/builder.h"
#include "server/build/mothership_image.h"
#include "server/config/settings.h"
#include "server/docker/engine_docker_client.h"
#include "server/git/app_repos.h"
#include "server/setup/registry.h"
#include "server/ssh/host_key.h"
#include "server/ssh/public_key.h"
#include "server/store/store.h"

namespace ms {

Result<void> RunSetup(const SetupOptions& options, const std::function<void(const std::string&)>& say) {
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
    say(fmt::format("Config {} exists; left as it is.", settings.ConfigPath().string()));
    if ((options.ssh_port && *options.ssh_port != settings.ssh_port) ||
        (options.domain && *options.domain != settings.domain)) {
      say(fmt::format("  (it says ssh_port {} and domain {}; edit it to change them)",
                      settings.ssh_port, settings.domain));
    }
  } else {
    if (options.ssh_port) settings.ssh_port = *options.ssh_port;
    if (options.domain) settings.domain = *options.domain;
    if (options.deploy_step) settings.deploy_step = *options.deploy_step;
    if (options.registry) settings.registry = *options.registry;
    if (auto r = ValidateSettings(settings); !r) return r;
    if (auto r = SaveSettings(settings); !r) return r;
    say(fmt::format("Wrote {} (ssh_port {}, domain {}).", settings.ConfigPath().string(),
                    settings.ssh_port, settings.domain));
  }

  auto created = EnsureHostKey(settings.HostKeyPath());
  if (!created) return std::unexpected(created.error());
  auto fingerprint = HostKeyFingerprint(settings.HostKeyPath());
  if (!fingerprint) return std::unexpected(fingerprint.error());
  say(fmt::format("{} host key {}.", *created ? "Created" : "Kept", *fingerprint));

  std::filesystem::create_directories(settings.ReposDir(), ec);
  auto store = Store::Open(settings.DatabasePath());
  if (!store) return std::unexpected(store.error());
  say(fmt::format("Database {} is ready.", settings.DatabasePath().string()));

  auto existing = (*store)->FindKeyByFingerprint(key->fingerprint);
  if (!existing) return std::unexpected(existing.error());
  if (*existing) {
    say(fmt::format("Admin key {} is already registered as '{}' ({}).", key->fingerprint,
                    (*existing)->name, RoleName((*existing)->role)));
  } else {
    SshKey admin{0, options.admin_name, key->fingerprint, key->Line(), Role::kAdmin, ""};
    auto added = (*store)->AddKey(admin);
    for (int i = 2; !added && added.error().code == ErrorCode::kAlreadyExists && i < 100; ++i) {
      admin.name = fmt::format("{}-{}", options.admin_name, i);
      added = (*store)->AddKey(admin);
    }
    if (!added) return std::unexpected(added.error());
    say(fmt::format("Registered admin key '{}' ({}).", added->name, added->fingerprint));
  }

  if (settings.deploy_step == "build") {
    EngineDockerClient docker(settings.docker_socket);
    if (auto version = docker.ApiVersion(); !version) {
      say(fmt::format("Docker: {}. The stack images will be built by the first push, or run "
                      "setup again once Docker runs.",
                      version.error().message));
    } else {
      say(fmt::format("Docker answers (API {}).", *version));
      AppRepos repos(settings.ReposDir(), {}, settings.TrashDir());
      Builder builder(settings, docker, repos, InstallPrefix() / "share" / "mothership" / "buildpacks");
      auto start = std::chrono::steady_clock::now();
      if (auto r = builder.EnsureStackImages(false, say); !r) return r;
      say(fmt::format("Stack images {} and {} are ready ({} s).", settings.build_image, settings.run_image,
                      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count()));
      if (auto r = EnsureRegistry(settings, docker, say); !r) return r;
      start = std::chrono::steady_clock::now();
      auto image = EnsureMothershipImage(docker, settings, InstallPrefix(), say);
      if (!image) return std::unexpected(image.error());
      say(fmt::format("The Mothership image {} is ready ({} s).", *image,
                      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count()));
    }
  }

  say("");
  say("Next:");
  say(fmt::format("  mothershipd --data-dir {}", settings.data_dir.string()));
  say(fmt::format("  git remote add mothership ssh://git@{}:{}/APP && git push mothership main",
                  settings.domain, settings.ssh_port));
  return {};
}

}  // namespace ms
