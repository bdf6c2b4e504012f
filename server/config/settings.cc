#include "server/config/settings.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>

#include "server/config/process_sizes.h"

namespace ms {

namespace {

template <class T>
Result<void> Read(const YAML::Node& root, const char* key, T& out) {
  const YAML::Node node = root[key];
  if (!node) return {};
  if (node.IsNull()) return InvalidArgument(fmt::format("config.yaml: '{}' has no value", key));
  if (!node.IsScalar()) return InvalidArgument(fmt::format("config.yaml: '{}' has a value of the wrong type (expected a single value)", key));
  try {
    out = node.as<T>();
  } catch (const YAML::Exception&) {
    return InvalidArgument(fmt::format("config.yaml: '{}' has a value of the wrong type", key));
  }
  return {};
}

Result<void> ReadList(const YAML::Node& root, const char* key, std::vector<std::string>& out) {
  const YAML::Node node = root[key];
  if (!node || node.IsNull()) return {};
  if (!node.IsSequence()) return InvalidArgument(fmt::format("config.yaml: '{}' must be a list, like [/srv/a, /srv/b]", key));
  out.clear();
  for (const auto& item : node) {
    if (!item.IsScalar()) return InvalidArgument(fmt::format("config.yaml: '{}' must be a list of words", key));
    out.push_back(item.as<std::string>());
  }
  return {};
}

}  // namespace

Result<Settings> LoadSettings(const std::filesystem::path& data_dir) {
  Settings s;
  s.data_dir = std::filesystem::absolute(data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(s.ConfigPath(), ec)) {
    return NotFound(fmt::format(
        "{} does not exist; run `mothershipd setup --data-dir {} --admin-key KEY.pub` first",
        s.ConfigPath().string(), data_dir.string()));
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(s.ConfigPath().string());
  } catch (const YAML::Exception& e) {
    return InvalidArgument(fmt::format("{}: {}", s.ConfigPath().string(), e.what()));
  }
  if (!root.IsMap() && !root.IsNull()) {
    return InvalidArgument(fmt::format("{}: expected a mapping of settings", s.ConfigPath().string()));
  }
  const std::set<std::string> known = {
      "listen_address",         "ssh_port",         "domain",
      "host_key",               "auto_create_apps", "ssh_auth_timeout_seconds",
      "ssh_idle_timeout_seconds", "ssh_max_connections", "api_port", "api_host", "api_max_connections", "deploy_step", "docker_socket",
      "registry", "base_image", "build_image", "run_image", "ca_bundle", "build_timeout_seconds",
      "build_memory_mb", "build_cpus", "build_max_processes", "max_concurrent_builds", "warm_builders", "warm_builder_minutes", "default_size", "slug_max_mb", "max_push_mb", "local_buildpacks", "buildpack_fetch_timeout_seconds", "buildpack_max_mb", "keep_releases", "swarm_advertise_addr",
      "stop_grace_seconds", "proxy_service", "http_port", "https_port", "acme_directory", "acme_email", "acme_ca_bundle", "hsts_max_age_seconds", "proxy_metrics_port", "proxy_metrics_address", "max_body_mb", "deploy_timeout_seconds", "update_monitor_seconds",
      "proxy_max_connections_per_address", "proxy_header_timeout_seconds", "backups_keep", "addons_max_per_app", "backups_s3_endpoint",
      "backups_s3_bucket", "backups_s3_access_key", "backups_s3_secret_key", "backups_s3_region",
      "backups_s3_ca_file"};
  for (const auto& item : root) {
    if (!item.first.IsScalar()) {
      return InvalidArgument(fmt::format("{}: setting names must be plain words", s.ConfigPath().string()));
    }
    auto key = item.first.Scalar();
    if (!known.contains(key)) {
      return InvalidArgument(fmt::format("{}: unknown setting '{}'", s.ConfigPath().string(), key));
    }
  }
  for (auto r : {Read(root, "listen_address", s.listen_address), Read(root, "ssh_port", s.ssh_port),
                 Read(root, "domain", s.domain), Read(root, "host_key", s.host_key),
                 Read(root, "auto_create_apps", s.auto_create_apps),
                 Read(root, "ssh_auth_timeout_seconds", s.ssh_auth_timeout_seconds),
                 Read(root, "ssh_idle_timeout_seconds", s.ssh_idle_timeout_seconds),
                 Read(root, "ssh_max_connections", s.ssh_max_connections),
                 Read(root, "api_port", s.api_port), Read(root, "api_host", s.api_host),
                 Read(root, "api_max_connections", s.api_max_connections),
                 Read(root, "deploy_step", s.deploy_step), Read(root, "docker_socket", s.docker_socket),
                 Read(root, "registry", s.registry), Read(root, "base_image", s.base_image),
                 Read(root, "build_image", s.build_image), Read(root, "run_image", s.run_image),
                 Read(root, "ca_bundle", s.ca_bundle),
                 Read(root, "build_timeout_seconds", s.build_timeout_seconds),
                 Read(root, "build_memory_mb", s.build_memory_mb), Read(root, "build_cpus", s.build_cpus),
                 Read(root, "build_max_processes", s.build_max_processes),
                 Read(root, "max_concurrent_builds", s.max_concurrent_builds),
                 Read(root, "warm_builders", s.warm_builders),
                 Read(root, "warm_builder_minutes", s.warm_builder_minutes),
                 Read(root, "default_size", s.default_size), Read(root, "max_push_mb", s.max_push_mb),
                 ReadList(root, "local_buildpacks", s.local_buildpacks),
                 Read(root, "buildpack_fetch_timeout_seconds", s.buildpack_fetch_timeout_seconds),
                 Read(root, "buildpack_max_mb", s.buildpack_max_mb),
                 Read(root, "slug_max_mb", s.slug_max_mb), Read(root, "keep_releases", s.keep_releases),
                 Read(root, "swarm_advertise_addr", s.swarm_advertise_addr),
                 Read(root, "stop_grace_seconds", s.stop_grace_seconds),
                 Read(root, "deploy_timeout_seconds", s.deploy_timeout_seconds),
                 Read(root, "update_monitor_seconds", s.update_monitor_seconds),
                 Read(root, "proxy_service", s.proxy_service), Read(root, "http_port", s.http_port),
                 Read(root, "https_port", s.https_port), Read(root, "acme_directory", s.acme_directory),
                 Read(root, "acme_email", s.acme_email), Read(root, "acme_ca_bundle", s.acme_ca_bundle),
                 Read(root, "hsts_max_age_seconds", s.hsts_max_age_seconds),
                 Read(root, "proxy_metrics_port", s.proxy_metrics_port),
                 Read(root, "proxy_metrics_address", s.proxy_metrics_address),
                 Read(root, "max_body_mb", s.max_body_mb),
                 Read(root, "proxy_max_connections_per_address", s.proxy_max_connections_per_address),
                 Read(root, "proxy_header_timeout_seconds", s.proxy_header_timeout_seconds),
                 Read(root, "backups_keep", s.backups_keep),
                 Read(root, "addons_max_per_app", s.addons_max_per_app),
                 Read(root, "backups_s3_endpoint", s.backups_s3_endpoint),
                 Read(root, "backups_s3_bucket", s.backups_s3_bucket),
                 Read(root, "backups_s3_access_key", s.backups_s3_access_key),
                 Read(root, "backups_s3_secret_key", s.backups_s3_secret_key),
                 Read(root, "backups_s3_region", s.backups_s3_region),
                 Read(root, "backups_s3_ca_file", s.backups_s3_ca_file)}) {
    if (!r) return std::unexpected(r.error());
  }
  if (auto r = ValidateSettings(s); !r) return std::unexpected(r.error());
  return s;
}

Result<void> ValidateSettings(const Settings& s) {
  if (s.ssh_port < 0 || s.ssh_port > 65535) {
    return InvalidArgument(fmt::format("ssh_port {} is not a port (0 to 65535)", s.ssh_port));
  }
  if (s.ssh_auth_timeout_seconds < 1 || s.ssh_idle_timeout_seconds < 1) {
    return InvalidArgument("ssh timeouts must be at least 1 second");
  }
  if (s.ssh_max_connections < 1) return InvalidArgument("ssh_max_connections must be at least 1");
  if (s.backups_keep < 1) return InvalidArgument("backups_keep must be at least 1");
  if (s.addons_max_per_app < 0) return InvalidArgument("addons_max_per_app must be 0 or more");
  if (s.BackupsInS3() && (s.backups_s3_endpoint.empty() || s.backups_s3_access_key.empty() ||
                          s.backups_s3_secret_key.empty())) {
    return InvalidArgument(
        "backups_s3_bucket is set: set backups_s3_endpoint, backups_s3_access_key and backups_s3_secret_key too");
  }
  if (s.api_port < -1 || s.api_port > 65535) {
    return InvalidArgument(fmt::format("api_port {} is not a port (0 to 65535, or -1 for none)", s.api_port));
  }
  if (s.api_max_connections < 1) return InvalidArgument("api_max_connections must be at least 1");
  // Dot-separated labels of lowercase letters, digits and inner hyphens.
  bool domain_ok = !s.domain.empty() && s.domain.size() <= 200;
  size_t start = 0;
  while (domain_ok && start <= s.domain.size()) {
    size_t end = s.domain.find('.', start);
    if (end == std::string::npos) end = s.domain.size();
    std::string_view label = std::string_view(s.domain).substr(start, end - start);
    domain_ok = !label.empty() && label.size() <= 63 && label.front() != '-' && label.back() != '-';
    for (char c : label) domain_ok = domain_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    start = end + 1;
  }
  if (!domain_ok) {
    return InvalidArgument(fmt::format(
        "'{}' is not a valid domain: use lowercase letters, digits, '-' and '.' (for example: "
        "apps.example.com)",
        s.domain));
  }
  if (s.host_key.empty()) return InvalidArgument("host_key must name a file");
  if (s.deploy_step != "build" && s.deploy_step != "record") {
    return InvalidArgument(fmt::format("deploy_step '{}' is not build or record", s.deploy_step));
  }
  if (!FindProcessSize(s.default_size)) {
    return InvalidArgument(fmt::format("default_size '{}' is not a size (sizes: {})", s.default_size.substr(0, 64),
                                       ProcessSizeNames()));
  }
  if (s.build_max_processes < 64 || s.max_concurrent_builds < 1) {
    return InvalidArgument("build limits are out of range (build_max_processes >= 64, max_concurrent_builds >= 1)");
  }
  if (s.warm_builders < 0 || s.warm_builders > 1000 || s.warm_builder_minutes < 1) {
    return InvalidArgument("warm builders are out of range (warm_builders 0-1000, warm_builder_minutes >= 1)");
  }
  if (s.build_timeout_seconds < 10 || s.build_memory_mb < 64 || s.build_cpus <= 0 ||
      s.slug_max_mb < 1 || s.max_push_mb < 1 || s.keep_releases < 1 || s.buildpack_fetch_timeout_seconds < 1 ||
      s.buildpack_max_mb < 1) {
    return InvalidArgument(
        "build limits are out of range (build_timeout_seconds >= 10, build_memory_mb >= 64, "
        "build_cpus > 0, slug_max_mb >= 1, max_push_mb >= 1, keep_releases >= 1, "
        "buildpack_fetch_timeout_seconds >= 1, buildpack_max_mb >= 1)");
  }
  for (const auto& dir : s.local_buildpacks) {
    if (!dir.starts_with('/')) {
      return InvalidArgument(fmt::format("local_buildpacks: '{}' is not an absolute path", dir.substr(0, 100)));
    }
  }
  if (s.stop_grace_seconds < 0 || s.deploy_timeout_seconds < 10 ||
      !(s.update_monitor_seconds >= 0 && s.update_monitor_seconds <= 3600)) {
    return InvalidArgument(
        "runtime settings are out of range (stop_grace_seconds >= 0, deploy_timeout_seconds >= 10, "
        "update_monitor_seconds from 0 to 3600, like 0.5)");
  }
  if (s.http_port < 1 || s.http_port > 65535 || s.proxy_metrics_port < 1 || s.proxy_metrics_port > 65535 ||
      s.http_port == s.proxy_metrics_port || s.https_port < 0 || s.https_port > 65535 ||
      s.https_port == s.http_port || s.https_port == s.proxy_metrics_port || s.max_body_mb < 0 ||
      s.hsts_max_age_seconds < 0 ||
      s.proxy_service.empty() ||
      s.proxy_max_connections_per_address < 0 || s.proxy_header_timeout_seconds < 1 ||
      s.proxy_metrics_address.empty() ||
      s.proxy_metrics_address.find_first_not_of("0123456789abcdefABCDEF.:") != std::string::npos) {
    return InvalidArgument(
        "proxy settings are out of range (http_port and proxy_metrics_port: two different ports 1-65535, "
        "https_port another one or 0 for no https, hsts_max_age_seconds >= 0, "
        "max_body_mb >= 0, proxy_service not empty, proxy_metrics_address an IP address such as 127.0.0.1, "
        "proxy_max_connections_per_address >= 0, proxy_header_timeout_seconds >= 1)");
  }
  return {};
}

std::string Settings::AppUrl(const std::string& app) const {
  return http_port == 80 ? fmt::format("http://{}.{}/", app, domain)
                         : fmt::format("http://{}.{}:{}/", app, domain, http_port);
}

std::string Settings::DashboardUrl() const {
  const std::string host = PlatformHost();
  if (host.empty()) return fmt::format("http://127.0.0.1:{}/", api_port);
  if (https_port != 0 && !AcmeDirectory().empty()) {
    return https_port == 443 ? fmt::format("https://{}/", host) : fmt::format("https://{}:{}/", host, https_port);
  }
  return http_port == 80 ? fmt::format("http://{}/", host) : fmt::format("http://{}:{}/", host, http_port);
}

std::string Settings::AcmeDirectory() const {
  if (acme_directory == "off") return "";
  if (!acme_directory.empty()) return acme_directory;
  bool can_be_public = !domain.empty() && domain != "localhost" && !domain.ends_with(".localhost") &&
                       domain.find('.') != std::string::npos &&
                       domain.find_first_not_of("0123456789.") != std::string::npos &&  // not IPv4
                       domain.find(':') == std::string::npos;                          // not IPv6
  return can_be_public ? "https://acme-v02.api.letsencrypt.org/directory" : "";
}

std::string Settings::InstallId() const {
  return fmt::format("{:016x}", std::hash<std::string>{}(data_dir.string()));
}

Result<void> SaveSettings(const Settings& s) {
  YAML::Emitter out;
  out << YAML::Comment("Mothership server settings. mothershipd reads this at start;") << YAML::Newline;
  out << YAML::Comment("its command-line flags override it.") << YAML::Newline;
  out << YAML::BeginMap;
  out << YAML::Key << "listen_address" << YAML::Value << s.listen_address;
  out << YAML::Key << "ssh_port" << YAML::Value << s.ssh_port;
  out << YAML::Key << "domain" << YAML::Value << s.domain
      << YAML::Comment("apps answer at APP.DOMAIN");
  out << YAML::Key << "host_key" << YAML::Value << s.host_key
      << YAML::Comment("relative to the data directory");
  out << YAML::Key << "auto_create_apps" << YAML::Value << s.auto_create_apps
      << YAML::Comment("first push of main/master creates the app");
  out << YAML::Key << "ssh_auth_timeout_seconds" << YAML::Value << s.ssh_auth_timeout_seconds;
  out << YAML::Key << "ssh_idle_timeout_seconds" << YAML::Value << s.ssh_idle_timeout_seconds;
  out << YAML::Key << "ssh_max_connections" << YAML::Value << s.ssh_max_connections;
  out << YAML::Key << "api_port" << YAML::Value << s.api_port
      << YAML::Comment("the HTTP API on 127.0.0.1 (-1: none); elsewhere through the proxy at api_host");
  out << YAML::Key << "api_host" << YAML::Value << s.api_host
      << YAML::Comment("the API's host through the proxy; empty: mothership.DOMAIN");
  out << YAML::Key << "api_max_connections" << YAML::Value << s.api_max_connections;
  out << YAML::Key << "deploy_step" << YAML::Value << s.deploy_step
      << YAML::Comment("build: buildpacks in Docker; record: only record deploys");
  out << YAML::Key << "docker_socket" << YAML::Value << s.docker_socket;
  out << YAML::Key << "registry" << YAML::Value << s.registry
      << YAML::Comment("images are pushed here as REGISTRY/APP:vN");
  out << YAML::Key << "base_image" << YAML::Value << s.base_image;
  out << YAML::Key << "build_image" << YAML::Value << s.build_image;
  out << YAML::Key << "run_image" << YAML::Value << s.run_image;
  out << YAML::Key << "ca_bundle" << YAML::Value << s.ca_bundle
      << YAML::Comment("CA certificates given to builds for HTTPS");
  out << YAML::Key << "build_timeout_seconds" << YAML::Value << s.build_timeout_seconds;
  out << YAML::Key << "build_memory_mb" << YAML::Value << s.build_memory_mb;
  out << YAML::Key << "build_cpus" << YAML::Value << s.build_cpus;
  out << YAML::Key << "build_max_processes" << YAML::Value << s.build_max_processes;
  out << YAML::Key << "max_concurrent_builds" << YAML::Value << s.max_concurrent_builds
      << YAML::Comment("more pushes wait in line");
  out << YAML::Key << "warm_builders" << YAML::Value << s.warm_builders
      << YAML::Comment("builder containers started ahead for the apps pushed last; 0: none");
  out << YAML::Key << "warm_builder_minutes" << YAML::Value << s.warm_builder_minutes
      << YAML::Comment("how long such a container waits for its app's next push");
  out << YAML::Key << "default_size" << YAML::Value << s.default_size
      << YAML::Comment("of processes ps:resize has not sized (ps:sizes lists the sizes)");
  out << YAML::Key << "slug_max_mb" << YAML::Value << s.slug_max_mb;
  out << YAML::Key << "max_push_mb" << YAML::Value << s.max_push_mb
      << YAML::Comment("a bigger git push is refused");
  out << YAML::Key << "local_buildpacks" << YAML::Value << YAML::Flow << s.local_buildpacks
      << YAML::Comment("directories of buildpacks (git repositories) apps may name by path");
  out << YAML::Key << "buildpack_fetch_timeout_seconds" << YAML::Value << s.buildpack_fetch_timeout_seconds;
  out << YAML::Key << "buildpack_max_mb" << YAML::Value << s.buildpack_max_mb;
  out << YAML::Key << "keep_releases" << YAML::Value << s.keep_releases
      << YAML::Comment("images kept for rollback");
  out << YAML::Key << "swarm_advertise_addr" << YAML::Value << s.swarm_advertise_addr
      << YAML::Comment("address other Swarm nodes reach this one at; empty: automatic");
  out << YAML::Key << "stop_grace_seconds" << YAML::Value << s.stop_grace_seconds;
  out << YAML::Key << "deploy_timeout_seconds" << YAML::Value << s.deploy_timeout_seconds;
  out << YAML::Key << "update_monitor_seconds" << YAML::Value << s.update_monitor_seconds;
  out << YAML::Key << "proxy_service" << YAML::Value << s.proxy_service;
  out << YAML::Key << "http_port" << YAML::Value << s.http_port << YAML::Comment("apps answer at http://APP.DOMAIN:PORT");
  out << YAML::Key << "https_port" << YAML::Value << s.https_port
      << YAML::Comment("and at https://APP.DOMAIN:PORT once they have a certificate; 0: no https");
  out << YAML::Key << "acme_directory" << YAML::Value << s.acme_directory
      << YAML::Comment("ACME for certificates: empty = Let's Encrypt for a public domain, off = none");
  out << YAML::Key << "acme_email" << YAML::Value << s.acme_email;
  out << YAML::Key << "acme_ca_bundle" << YAML::Value << s.acme_ca_bundle
      << YAML::Comment("PEM file: the CA of a private ACME directory");
  out << YAML::Key << "hsts_max_age_seconds" << YAML::Value << s.hsts_max_age_seconds
      << YAML::Comment("HSTS for apps with http:redirect on; 0: none");
  out << YAML::Key << "proxy_metrics_port" << YAML::Value << s.proxy_metrics_port
      << YAML::Comment("the proxy's Prometheus /metrics");
  out << YAML::Key << "proxy_metrics_address" << YAML::Value << s.proxy_metrics_address
      << YAML::Comment("where /metrics listens; 0.0.0.0 for every interface");
  out << YAML::Key << "max_body_mb" << YAML::Value << s.max_body_mb << YAML::Comment("0: no limit");
  out << YAML::Key << "proxy_max_connections_per_address" << YAML::Value << s.proxy_max_connections_per_address
      << YAML::Comment("open connections from one client address; 0: no cap");
  out << YAML::Key << "proxy_header_timeout_seconds" << YAML::Value << s.proxy_header_timeout_seconds
      << YAML::Comment("to send a request's head; a body must then average 240 bytes/s");
  out << YAML::Key << "backups_keep" << YAML::Value << s.backups_keep
      << YAML::Comment("scheduled backups each add-on keeps");
  out << YAML::Key << "addons_max_per_app" << YAML::Value << s.addons_max_per_app
      << YAML::Comment("add-ons (databases) an app may own");
  out << YAML::Key << "backups_s3_endpoint" << YAML::Value << s.backups_s3_endpoint
      << YAML::Comment("backups in an S3-compatible bucket when backups_s3_bucket is set; else DATA_DIR/backups");
  out << YAML::Key << "backups_s3_bucket" << YAML::Value << s.backups_s3_bucket;
  out << YAML::Key << "backups_s3_access_key" << YAML::Value << s.backups_s3_access_key;
  out << YAML::Key << "backups_s3_secret_key" << YAML::Value << s.backups_s3_secret_key;
  out << YAML::Key << "backups_s3_region" << YAML::Value << s.backups_s3_region;
  out << YAML::Key << "backups_s3_ca_file" << YAML::Value << s.backups_s3_ca_file;
  out << YAML::EndMap;

  auto tmp = s.ConfigPath();
  tmp += ".tmp";
  {
    // Made 0600 before a byte is written (it may hold secrets).
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
    std::ofstream f(tmp, std::ios::trunc);
    f << out.c_str() << "\n";
    if (!f) return Failed(fmt::format("cannot write {}", tmp.string()));
  }
  std::error_code ec;
  // It may hold secrets (backups_s3_secret_key): its owner reads it, no one else.
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::filesystem::rename(tmp, s.ConfigPath(), ec);
  if (ec) return Failed(fmt::format("cannot write {}: {}", s.ConfigPath().string(), ec.message()));
  return {};
}

}  // namespace ms
