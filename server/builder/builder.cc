#include "server/builder/builder.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "server/builder/base_image_check.h"
#include "server/builder/build_fence.h"
#include "server/builder/dockerfile.h"
#include "server/builder/procfile.h"
#include "server/builder/release_yaml.h"
#include "server/builder/watchdog.h"
#include "server/common/base64.h"
#include "server/registry/registry_credentials.h"
#include "server/common/json.h"
#include "server/common/log.h"
#include "server/common/names.h"
#include "server/common/output.h"
#include "server/common/sha256.h"
#include "server/common/tar_reader.h"
#include "server/common/tar_writer.h"
#include "server/common/utf8.h"
#include "server/process/child_process.h"


namespace ms {
namespace {

constexpr int kNoBuildpack = 100;

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A scratch directory removed with everything in it when the build ends.
class ScratchDir {
 public:
  explicit ScratchDir(const std::filesystem::path& parent) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    std::string pattern = (parent / "build-XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Removes the containers a build made, whatever happens.
// What buildpacks/builder/build prints on stdout after a successful build: a
// line with the base64 of a tar of its results, then the slug's tar.
class BuildResults {
 public:
  explicit BuildResults(std::filesystem::path slug_tar) : slug_path_(std::move(slug_tar)) {}
  bool Feed(std::string_view data) {
    if (!in_slug_) {
      size_t nl = data.find('\n');
      results_.append(data.substr(0, nl));
      if (results_.size() > (64u << 20)) return false;
      if (nl == std::string_view::npos) return true;
      in_slug_ = true;
      slug_.open(slug_path_, std::ios::binary | std::ios::trunc);
      data.remove_prefix(nl + 1);
    }
    slug_.write(data.data(), static_cast<std::streamsize>(data.size()));
    return static_cast<bool>(slug_);
  }
  // Writes the results' tar to results_tar.
  Result<void> Finish(const std::filesystem::path& results_tar) {
    slug_.close();
    auto decoded = Base64Decode(results_);
    if (!in_slug_ || !slug_ || !decoded) return Failed("the builder container did not hand over the build's results");
    std::ofstream file(results_tar, std::ios::binary | std::ios::trunc);
    file << *decoded;
    if (!file.flush()) return Failed(fmt::format("cannot write {}", results_tar.string()));
    return {};
  }

 private:
  std::filesystem::path slug_path_;
  std::string results_;
  bool in_slug_ = false;
  std::ofstream slug_;
};

// Hands the builder container back to the pool for removal on every path.
class ContainerGuard {
 public:
  explicit ContainerGuard(BuilderPool& pool) : pool_(pool) {}
  ~ContainerGuard() {
    if (!id_.empty()) pool_.Discard(id_);
  }
  void Set(const std::string& id) { id_ = id; }

 private:
  BuilderPool& pool_;
  std::string id_;
};

std::string ProcessTypeList(const std::map<std::string, std::string>& types) {
  if (types.empty()) return "(none)";
  std::vector<std::string> names;
  for (const auto& [name, command] : types) names.push_back(name);
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string Megabytes(uint64_t bytes) { return fmt::format("{:.1f} MB", bytes / 1e6); }

}  // namespace

const std::vector<std::string>& Builder::BundledBuildpacks() {
  static const std::vector<std::string> order = {"nodejs", "python", "ruby", "go", "static", "procfile"};
  return order;
}

Builder::Builder(const Settings& settings, DockerClient& docker, AppRepos& repos,
                 std::filesystem::path buildpacks_dir, Clock& clock)
    : settings_(settings), docker_(docker), repos_(repos), buildpacks_dir_(std::move(buildpacks_dir)), clock_(clock),
      fetcher_(settings.data_dir / "buildpacks",
               {settings.buildpack_fetch_timeout_seconds, int64_t{settings.buildpack_max_mb} << 20}),
      // The daemon checked at start that the credentials load (without them a push says the registry refused it).
      slug_image_(docker, settings.registry, settings.run_image,
                  LoadRegistryCredentials(settings.registry, settings.RegistryDir()).value_or(std::nullopt)),
      slots_(settings.max_concurrent_builds),
      pool_(docker, {settings.warm_builders, std::chrono::minutes(settings.warm_builder_minutes)}) {}

void Builder::Forget(const std::string& app, const std::vector<int>& versions) {
  pool_.Drop(app);
  (void)docker_.RemoveVolume(CacheVolume(app));
  for (int v : versions) (void)RemoveReleaseImage(app, v, {});
}

Result<void> Builder::RemoveReleaseImage(const std::string& app, int version, const std::set<std::string>& keep) {
  (void)docker_.RemoveImage(fmt::format("{}/{}:v{}", settings_.registry, app, version));
  auto deleted = slug_image_.registry().DeleteManifest(app, fmt::format("v{}", version), keep);
  if (!deleted) return std::unexpected(deleted.error());
  // Swarm pulls a release's image by digest (REGISTRY/APP:vN@sha256:...):
  // the engine keeps it under REGISTRY/APP@sha256:..., with no tag, so
  // removing the tag leaves it. (On this node; other nodes keep theirs.)
  if (!deleted->empty()) (void)docker_.RemoveImage(fmt::format("{}/{}@{}", settings_.registry, app, *deleted));
  return {};
}

void Builder::PruneImages(const std::string& app, int newest_version, const std::vector<Release>& releases) {
  int old = newest_version - settings_.keep_releases;
  if (old < 1) return;
  std::set<std::string> in_use, digests;
  for (const auto& r : releases) {
    if (r.version <= old) continue;
    in_use.insert(r.image.substr(0, r.image.find('@')));
    if (auto at = r.image.find('@'); at != std::string::npos) digests.insert(r.image.substr(at + 1));
  }
  if (in_use.contains(fmt::format("{}/{}:v{}", settings_.registry, app, old))) return;  // a kept release (a rollback) runs it
  if (auto r = RemoveReleaseImage(app, old, digests); !r) {
    LogWarn("cannot prune {}:v{} from the registry: {}", app, old, r.error().message);
  }
}

void Builder::RemoveUnreleasedImage(const std::string& app, int version, const std::vector<Release>& releases) {
  std::set<std::string> digests;
  for (const auto& r : releases) {
    if (r.version == version) return;  // released after all
    if (auto at = r.image.find('@'); at != std::string::npos) digests.insert(r.image.substr(at + 1));
  }
  if (auto r = RemoveReleaseImage(app, version, digests); !r) {
    LogWarn("cannot remove the unreleased image {}:v{} from the registry: {}", app, version, r.error().message);
  }
}

std::string Builder::CacheVolume(const std::string& app) const {
  // Another installation on the engine may have an app of the same name.
  return fmt::format("mothership-cache-{}-{}", settings_.InstallId(), app);
}

std::map<std::string, std::string> Builder::BuildLabels(const std::string& app) const {
  return {{"mothership.role", "build"},
          {"mothership.app", app},
          {"mothership.install", settings_.InstallId()}};
}

ContainerSpec Builder::BuilderSpec(const std::string& app) const {
  ContainerSpec spec;
  spec.image = settings_.build_image;
  spec.labels = BuildLabels(app);
  spec.binds = {CacheVolume(app) + ":/cache"};
  spec.env = {"STACK=mothership-bookworm", "HOME=/app", "CI=true"};
  std::error_code ec;
  if (!settings_.ca_bundle.empty() && std::filesystem::exists(settings_.ca_bundle, ec)) {
    spec.binds.push_back(settings_.ca_bundle + ":/etc/ssl/certs/ca-certificates.crt:ro");
    spec.env.push_back("NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt");
    spec.env.push_back("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt");
    spec.env.push_back("PIP_CERT=/etc/ssl/certs/ca-certificates.crt");
  }
  spec.limits = BuildLimits();
  spec.network_mode = kBuildNetwork;
  return spec;
}

void Builder::CleanLeftovers() {
  // Builder containers (busy or idle) and one-off containers (run, release,
  // the Postgres clients of add-ons: a pg_restore cut off changes nothing).
  // Never the containers of Swarm tasks: they carry the install label too.
  auto leftovers = docker_.ListContainers("mothership.install=" + settings_.InstallId());
  if (!leftovers) return;
  for (const auto& c : *leftovers) {
    auto role = c.labels.find("mothership.role");
    if (role == c.labels.end() || (role->second != "build" && role->second != "run" && role->second != "release" &&
                                  role->second != "addon-client")) {
      continue;
    }
    LogInfo("removing leftover {} container {}", role->second, c.name);
    (void)docker_.RemoveContainer(c.id);
  }
}

std::string StackHash(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != decltype(it)(); it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  Sha256 hash;
  for (const auto& f : files) {
    hash.Update(f.lexically_relative(dir).string());
    hash.Update(std::string(1, '\0'));
    hash.Update(Slurp(f));
    hash.Update(std::string(1, '\0'));
  }
  return hash.HexDigest().substr(0, 16);
}

Result<void> Builder::EnsureStackImages(bool force, Output& out) {
  auto base = docker_.ImageExists(settings_.base_image);
  if (!base) return std::unexpected(base.error());
  if (!*base) {
    // No registry can be reached: the base image is made from Debian's packages.
    auto debootstrap = FindProgram("debootstrap");
    if (!debootstrap) {
      return Failed(fmt::format("the base image {} is missing and debootstrap is not installed "
                                "(apt-get install debootstrap)",
                                settings_.base_image));
    }
    WriteLine(out, fmt::format("Making the base image {} with debootstrap (about 30 s)...", settings_.base_image));
    ScratchDir scratch(settings_.data_dir / "tmp");
    auto rootfs = scratch.path() / "rootfs";
    auto status = RunQuietly(
        {*debootstrap, {"--variant=minbase", "bookworm", rootfs.string(), "http://deb.debian.org/debian"}, {}, {}});
    if (!status) return std::unexpected(status.error());
    if (int code = ExitCode(**status); code != 0) return Failed(fmt::format("debootstrap failed with status {}", code));
    TarWriter tar(scratch.path() / "rootfs.tar");
    if (auto r = tar.AddTree(rootfs, ""); !r) return r;
    if (auto r = tar.Finish(); !r) return r;
    auto colon = settings_.base_image.rfind(':');
    if (auto r = docker_.ImportImage(scratch.path() / "rootfs.tar", settings_.base_image.substr(0, colon),
                                     colon == std::string::npos ? "latest" : settings_.base_image.substr(colon + 1));
        !r) {
      return r;
    }
  }
  for (const auto& [image, dir] : {std::pair{settings_.build_image, std::string("build")},
                                   std::pair{settings_.run_image, std::string("run")}}) {
    if (auto r = EnsureStackImage(image, dir, force, out); !r) return r;
  }
  return {};
}

Result<void> Builder::EnsureStackImage(const std::string& image, const std::string& dir, bool force, Output& out) {
  // An image made from other files (an older Mothership) is made again.
  const std::string hash = StackHash(buildpacks_dir_ / "stack" / dir);
  auto exists = docker_.ImageExists(image);
  if (!exists) return std::unexpected(exists.error());
  if (*exists && !force) {
    auto info = docker_.InspectImage(image);
    if (!info) return std::unexpected(info.error());
    auto label = info->labels.find("mothership.stack");
    if (label != info->labels.end() && label->second == hash) return {};
  }
  WriteLine(out, fmt::format("Building the {} stack image {}...", dir, image));
  auto start = clock_.Now();
  ScratchDir scratch(settings_.data_dir / "tmp");
  TarWriter tar(scratch.path() / "context.tar");
  if (auto r = tar.AddTree(buildpacks_dir_ / "stack" / dir, ""); !r) return r;
  if (auto r = tar.Finish(); !r) return r;
  auto r = docker_.BuildImage(scratch.path() / "context.tar", image,
                              {{"BASE", settings_.base_image}, {"STACK_HASH", hash}},
                              [&](std::string_view line) {
                                if (line.starts_with("Step ")) WriteLine(out, "  " + std::string(line));
                              });
  if (!r) return r;
  WriteLine(out, fmt::format("  built {} in {} s", image,
                             std::chrono::duration_cast<std::chrono::seconds>(clock_.Now() - start).count()));
  return {};
}

std::vector<std::string> Builder::ChooseBuildpacks(const BuildRequest& request) const {
  // buildpacks:set, else BUILDPACK_URL, else .buildpacks; empty: a Dockerfile, else
  // detection over the bundled ones.
  if (!request.buildpacks.empty()) return request.buildpacks;
  if (auto it = request.config.find("BUILDPACK_URL"); it != request.config.end() && !it->second.empty()) {
    return {it->second};
  }
  std::vector<std::string> chosen;
  if (auto file = repos_.ReadFile(request.app, request.commit, request.objects_dir, ".buildpacks")) {
    std::istringstream lines(*file);
    std::string line;
    while (std::getline(lines, line)) {
      line.erase(0, line.find_first_not_of(" \t\r"));
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
      if (!line.empty() && line[0] != '#') chosen.push_back(line);
    }
  }
  return chosen;
}

Result<void> Builder::EnsureFence() {
  std::lock_guard lock(fence_mu_);
  if (fenced_) return {};
  auto r = EnsureBuildFence(docker_);
  fenced_ = r.has_value();
  return r;
}

constexpr int64_t kBuildCpuShares = 256;

ResourceLimits Builder::BuildLimits() const {
  // A quarter of the engine's default CPU weight: on a busy host, apps and the
  // proxy answer first and builds take what is left (twenty pushes at once
  // on two cores otherwise stalled requests to running apps for seconds).
  return {int64_t{settings_.build_memory_mb} * 1024 * 1024, static_cast<int64_t>(settings_.build_cpus * 1e9),
          settings_.build_max_processes, kBuildCpuShares};
}

Result<BuildResult> Builder::Build(const BuildRequest& request, Output& out) {
  auto slot = slots_.Wait(out, request.client_gone);
  if (!slot) return std::unexpected(slot.error());
  BuildResult result;
  result.image = fmt::format("{}/{}:v{}", settings_.registry, request.app, request.version);
  ScratchDir scratch(settings_.data_dir / "tmp");
  if (scratch.path().empty()) return Failed("cannot make a scratch directory for the build");
  if (auto r = EnsureFence(); !r) return std::unexpected(r.error());

  std::vector<std::string> chosen = ChooseBuildpacks(request);
  auto root_dockerfile = repos_.ReadFile(request.app, request.commit, request.objects_dir, "Dockerfile");
  bool dockerfile = chosen.empty() && (root_dockerfile || root_dockerfile.error().code != ErrorCode::kNotFound);
  auto built = dockerfile ? BuildDockerfile(request, scratch.path(), out, result)
                          : BuildWithBuildpacks(request, chosen, scratch.path(), out, result);
  if (!built) return std::unexpected(built.error());
  // Commands travel to Docker as JSON strings, which hold UTF-8 text only.
  for (const auto& [type, command] : result.process_types) {
    if (auto valid = ValidateProcessType(type); !valid) {
      return InvalidArgument(fmt::format("the buildpack's bin/release: {}", valid.error().message));
    }
    if (!IsUtf8(command)) {
      return InvalidArgument(fmt::format(
          "the command of a process type (from the Procfile or the buildpack's bin/release) is not UTF-8 "
          "text; save it as UTF-8"));
    }
  }
  return result;
}

Result<void> Builder::BuildDockerfile(const BuildRequest& request, const std::filesystem::path& scratch, Output& out,
                                      BuildResult& result) {
  out.Write("-----> Dockerfile app detected: building it with the Docker engine\n");
  // What the engine would fetch itself, outside the fence: checked first.
  auto text = repos_.ReadFile(request.app, request.commit, request.objects_dir, "Dockerfile");
  if (!text) return std::unexpected(text.error());
  auto images = ReadDockerfile(*text);
  if (!images) return std::unexpected(images.error());
  for (const auto& image : *images) {
    if (auto r = CheckBuildImage(image, request.app, settings_.registry, docker_); !r) return r;
  }
  auto cgroup = BuildCgroup::Create(
      fmt::format("mothership-build-{}-{}-v{}", settings_.InstallId(), request.app, request.version),
      settings_.build_max_processes);
  if (!cgroup) return std::unexpected(cgroup.error());
  TarWriter context(scratch / "context.tar");
  if (auto r = repos_.WriteTree(request.app, request.commit, request.objects_dir, context, ""); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = context.Finish(); !r) return std::unexpected(r.error());
  std::atomic<bool> stop{false};
  Result<void> built;
  {
    Watchdog watchdog(clock_, std::chrono::seconds(settings_.build_timeout_seconds), [&stop] { stop = true; });
    BuildOptions options{BuildLimits(), kBuildNetwork, cgroup->parent(), [&stop] { return stop.load(); }};
    built = docker_.BuildImage(
        scratch / "context.tar", result.image, {},
        [&](std::string_view line) { out.Write(fmt::format("       {}\n", line)); }, options);
  }
  if (stop) {
    return Failed(fmt::format("the build took longer than {} s (build_timeout_seconds) and was stopped",
                              settings_.build_timeout_seconds));
  }
  if (!built) return std::unexpected(built.error());
  result.buildpacks = {"dockerfile"};
  auto procfile = repos_.ReadFile(request.app, request.commit, request.objects_dir, "Procfile");
  if (procfile) {
    auto types = ParseProcfile(*procfile);
    if (!types) return std::unexpected(types.error());
    result.process_types = *types;
  } else {
    // As Dokku does: with no Procfile, the image's command is the web process;
    // an image with none would release nothing that runs.
    auto built_image = docker_.InspectImage(result.image);
    if (!built_image) return std::unexpected(built_image.error());
    if (built_image->entrypoint.empty() && built_image->cmd.empty()) {
      return InvalidArgument(
          "the image has no command to run as the web process: add one to the Dockerfile (for example "
          "CMD [\"node\", \"server.js\"]), or a Procfile with a web: line");
    }
    result.process_types = {{"web", ""}};
  }
  out.Write(fmt::format("-----> Process types: {}\n", ProcessTypeList(result.process_types)));
  out.Write(fmt::format("-----> Pushing {}\n", result.image));
  std::string repo = result.image.substr(0, result.image.rfind(':'));
  if (auto r = docker_.PushImage(repo, fmt::format("v{}", request.version), nullptr); !r) {
    return Failed(fmt::format("{} (is the registry at {} running?)", r.error().message, settings_.registry));
  }
  // Services run the digest the registry gave: a tag pushed over changes
  // nothing that runs.
  auto pushed = docker_.InspectImage(result.image);
  if (!pushed) return std::unexpected(pushed.error());
  for (const auto& name : pushed->repo_digests) {
    if (name.starts_with(repo + "@sha256:")) {
      result.image += name.substr(repo.size());
      return {};
    }
  }
  return Failed(fmt::format("the registry {} gave no digest for {}", settings_.registry, result.image));
}

Result<void> Builder::BuildWithBuildpacks(const BuildRequest& request, const std::vector<std::string>& chosen,
                                          const std::filesystem::path& scratch, Output& out, BuildResult& result) {
  ContainerGuard container(pool_);
  TarWriter input(scratch / "input.tar");
  if (auto r = input.AddDirectory("app"); !r) return std::unexpected(r.error());
  if (auto r = repos_.WriteTree(request.app, request.commit, request.objects_dir, input, "app/"); !r) {
    return std::unexpected(r.error());
  }
  // Detection tries the bundled buildpacks in order; chosen ones all run.
  const std::vector<std::string>& specs = chosen.empty() ? BundledBuildpacks() : chosen;
  std::string order;
  for (size_t i = 0; i < specs.size(); ++i) {
    // Bundled ones by name ("nodejs") or as heroku/NAME; others are git URLs.
    // Checked here too: BUILDPACK_URL and .buildpacks reach no command.
    auto parsed = ParseBuildpackSource(specs[i], BundledBuildpacks(), settings_.local_buildpacks);
    if (!parsed) return std::unexpected(parsed.error());
    std::string name = parsed->name;
    std::filesystem::path source = buildpacks_dir_ / name;
    if (parsed->kind != BuildpackKind::kBundled) {
      if (auto r = CheckBuildpackHost(*parsed); !r) return std::unexpected(r.error());
      bool fresh = false;
      auto fetched = fetcher_.Fetch(*parsed, &fresh);
      if (!fetched) return std::unexpected(fetched.error());
      out.Write(fmt::format("-----> {} buildpack {}\n", fresh ? "Fetched" : "Using cached", specs[i]));
      source = *fetched;
      name = "custom";
    }
    std::string dest = fmt::format("tmp/mothership/buildpacks/{:02}-{}", i, name);
    if (auto r = input.AddTree(source, dest + "/"); !r) return std::unexpected(r.error());
    order += "/" + dest + "\n";
  }
  for (auto r : {input.AddFile("tmp/mothership/order", order),
                 input.AddFile("tmp/mothership/mode", chosen.empty() ? "detect\n" : "chosen\n"),
                 input.AddFile("tmp/mothership/builder/build", Slurp(buildpacks_dir_ / "builder" / "build"), 0755),
                 input.AddDirectory("tmp/mothership/env")}) {
    if (!r) return std::unexpected(r.error());
  }
  for (const auto& [k, v] : request.config) {
    if (auto r = input.AddFile("tmp/mothership/env/" + k, v); !r) return std::unexpected(r.error());
  }
  if (auto r = input.Finish(); !r) return std::unexpected(r.error());

  if (auto r = docker_.EnsureVolume(CacheVolume(request.app), BuildLabels(request.app)); !r) {
    return std::unexpected(r.error());
  }
  ContainerSpec spec = BuilderSpec(request.app);
  auto builder = pool_.Take(request.app, spec);
  if (!builder) return std::unexpected(builder.error());
  container.Set(*builder);
  if (auto r = docker_.PutArchive(*builder, "/", scratch / "input.tar"); !r) return std::unexpected(r.error());
  BuildResults results(scratch / "slug.tar");
  int code;
  bool timed_out;
  {
    Watchdog watchdog(clock_, std::chrono::seconds(settings_.build_timeout_seconds),
                      [this, id = *builder] { (void)docker_.StopContainer(id, 5); });
    auto ran = docker_.Exec(
        *builder, {"/bin/bash", "/tmp/mothership/builder/build"},
        [&](std::string_view line) { out.Write(std::string(line) + "\n"); },
        [&](std::string_view data) { return results.Feed(data); });
    timed_out = watchdog.fired();
    if (!ran && !timed_out) return std::unexpected(ran.error());
    code = ran ? *ran : -1;
  }
  // The next push of this app finds its container started.
  pool_.Prewarm(request.app, spec);
  if (timed_out) {
    return Failed(fmt::format("the build took longer than {} s (build_timeout_seconds) and was stopped",
                              settings_.build_timeout_seconds));
  }
  if (code == kNoBuildpack) {
    return Failed(
        "no buildpack recognised this app. Supported: Node.js (package.json), Python "
        "(requirements.txt or pyproject.toml), Ruby (Gemfile), Go (go.mod), static sites "
        "(index.html), Procfile-only apps (Procfile), or a Dockerfile. Add one of these files, "
        "or choose buildpacks with a .buildpacks file or the BUILDPACK_URL config var");
  }
  if (code != 0) return Failed(fmt::format("the build failed (exit status {}); see the output above", code));

  if (auto r = results.Finish(scratch / "out.tar"); !r) return std::unexpected(r.error());
  auto files = ReadTarFiles(scratch / "out.tar");
  if (!files) return std::unexpected(files.error());
  std::istringstream names((*files)["out/buildpacks"]);
  for (std::string n; std::getline(names, n);) result.buildpacks.push_back(n);
  for (size_t i = 0; i < result.buildpacks.size(); ++i) {
    auto it = files->find(fmt::format("out/release-{}.yml", i));
    if (it == files->end()) continue;
    auto release = ParseReleaseYaml(it->second);
    if (!release) {
      return Failed(fmt::format("bin/release of {} printed invalid YAML: {}", result.buildpacks[i],
                                release.error().message));
    }
    for (const auto& [k, v] : release->process_types) result.process_types[k] = v;
    for (const auto& [k, v] : release->config_vars) result.config_defaults[k] = v;
  }
  if (auto it = files->find("out/Procfile"); it != files->end()) {
    auto types = ParseProcfile(it->second);
    if (!types) return std::unexpected(types.error());
    for (const auto& [k, v] : *types) result.process_types[k] = v;
  }
  result.slug_bytes = std::strtoull((*files)["out/slug-bytes"].c_str(), nullptr, 10);
  out.Write(fmt::format("-----> Compiled slug size: {}\n", Megabytes(result.slug_bytes)));
  if (result.slug_bytes > uint64_t(settings_.slug_max_mb) * 1000 * 1000) {
    return Failed(fmt::format("the slug is {}, over the {} MB limit (slug_max_mb); leave build "
                              "artefacts and dependencies you do not need out of it",
                              Megabytes(result.slug_bytes), settings_.slug_max_mb));
  }

  // The slug becomes a layer on the run image.
  std::vector<std::string> env;
  for (const auto& [k, v] : result.config_defaults) env.push_back(k + "=" + v);
  SlugImageSpec image;
  image.repo = request.app;
  image.tag = fmt::format("v{}", request.version);
  image.slug_tar = scratch / "slug.tar";
  image.scratch_dir = scratch;
  image.labels = {{"mothership.app", request.app},
                  {"mothership.release", image.tag},
                  {"mothership.commit", request.commit},
                  {"mothership.buildpacks", fmt::format("{}", fmt::join(result.buildpacks, ","))},
                  {"mothership.process-types", DumpJson(nlohmann::json(result.process_types))}};
  image.env = env;
  if (result.process_types.contains("web")) image.cmd = {result.process_types["web"]};
  if (result.process_types.empty()) {
    out.Write("-----> No process types: add a Procfile (web: COMMAND) to run something\n");
  }
  out.Write(fmt::format("-----> Process types: {}\n", ProcessTypeList(result.process_types)));
  out.Write(fmt::format("-----> Pushing {}\n", result.image));
  PrefixedOutput progress(out, "       ");
  auto pushed = slug_image_.Push(image, progress);
  if (!pushed) return std::unexpected(pushed.error());
  // Services run the digest: a tag pushed over changes nothing that runs.
  result.image += "@" + *pushed;
  return {};
}

}  // namespace ms
