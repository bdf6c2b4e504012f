#pragma once
// Settings: the server's configuration, read from DATA_DIR/config.yaml (written by
// `mothershipd setup`) and overridable by mothershipd's command-line flags. A
// Settings value is immutable once the daemon runs; any thread may read it.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "server/common/result.h"

namespace ms {

struct Settings {
  std::filesystem::path data_dir;

  std::string listen_address = "0.0.0.0";
  int ssh_port = 2222;  // 0 picks a free port (tests)
  std::string domain = "localhost";
  std::string host_key = "ssh_host_ed25519_key";  // relative to data_dir
  bool auto_create_apps = true;
  int ssh_auth_timeout_seconds = 20;   // connect to first command: key exchange and auth included
  int ssh_idle_timeout_seconds = 600;  // no data either way on a running command
  int ssh_max_connections = 100;
  // The HTTP API (issue 18): on a loopback port for this host (0 picks a free
  // port, -1: none), and through the proxy at api_host (default
  // mothership.DOMAIN) over a unix socket in DATA_DIR/proxy.
  int api_port = 2280;
  std::string api_host;
  int api_max_connections = 64;

  // Builds (issue 3). deploy_step "build" runs buildpacks in Docker; "record"
  // only records the deploy (for hosts without Docker, and front-door tests).
  std::string deploy_step = "build";
  std::string docker_socket = "/var/run/docker.sock";
  std::string registry = "localhost:5000";
  std::string base_image = "mothership/debian:bookworm";
  std::string build_image = "mothership/build:bookworm";
  std::string run_image = "mothership/run:bookworm";
  std::string ca_bundle = "/etc/ssl/certs/ca-certificates.crt";
  int build_timeout_seconds = 900;
  int build_memory_mb = 2048;
  double build_cpus = 2.0;
  int build_max_processes = 2048;  // processes and threads of a buildpack build
  int max_concurrent_builds = 2;   // more pushes wait in line, told their place
  // Builder containers started ahead for the next push of the apps pushed
  // last (a container start off the push's path): at most this many, each
  // kept this long. 0: none (each push starts its own).
  int warm_builders = 4;
  int warm_builder_minutes = 15;
  // The size (process_sizes.h) of process types ps:resize has not set, of
  // one-off runs and of the release phase.
  std::string default_size = "standard-1x";
  int slug_max_mb = 500;
  int max_push_mb = 1024;  // git's receive.maxInputSize: a bigger push is refused
  // Buildpacks from paths on this server (or file://) only under these
  // directories; otherwise only bundled ones and https:// git URLs.
  std::vector<std::string> local_buildpacks;
  int buildpack_fetch_timeout_seconds = 120;
  int buildpack_max_mb = 100;
  int keep_releases = 5;

  // Running releases on Swarm (issue 4).
  std::string swarm_advertise_addr;  // "": the engine's choice, else 127.0.0.1
  int stop_grace_seconds = 10;       // SIGTERM to SIGKILL for old tasks
  int deploy_timeout_seconds = 300;  // a rollout that has not converged by then fails
  double update_monitor_seconds = 0.5;  // a new task that fails this soon after its check passed rolls the update back

  // The proxy (issue 5): a Swarm service on every manager node, publishing
  // http_port, https_port and proxy_metrics_port on the host.
  std::string proxy_service = "mothership-proxy";  // several installations on one Swarm need their own
  int http_port = 80;
  int https_port = 443;  // TLS with the apps' certificates (certs:add, ACME); 0: no https
  // ACME (issue 17): certificates for every app, issued and renewed by the
  // daemon. acme_directory "": Let's Encrypt's when DOMAIN can be public (not
  // localhost, *.localhost or an address), else off; "off": off.
  std::string acme_directory;
  std::string acme_email;      // the ACME account's contact
  std::string acme_ca_bundle;  // PEM: trust this for the directory's TLS (a private CA)
  // Strict-Transport-Security on https answers of apps with http:redirect on;
  // 0: none. (Browsers then refuse http for the host for that long.)
  int64_t hsts_max_age_seconds = 0;
  int proxy_metrics_port = 9180;  // Prometheus /metrics
  // Where /metrics (every app's traffic) listens: loopback unless the admin
  // sets an address a Prometheus elsewhere reaches.
  std::string proxy_metrics_address = "127.0.0.1";
  int max_body_mb = 0;            // request bodies larger than this get 413; 0: no limit
  // Floods (issue 14): open connections from one client address (0: no cap),
  // and the time a client has to send a request's head; a request body must
  // average 240 bytes/s once that time has passed.
  int proxy_max_connections_per_address = 1000;
  int proxy_header_timeout_seconds = 10;
  // Backups of add-ons (issue 20): how many scheduled ones each add-on keeps
  // (captured by hand and last ones are kept until removed), and where: a
  // directory of the data dir (DATA_DIR/backups), or an S3-compatible bucket
  // when backups_s3_bucket is set.
  int backups_keep = 7;
  // Add-ons an app may own (each one a database with up to 1 GB of memory).
  int addons_max_per_app = 4;
  std::string backups_s3_endpoint;  // "https://s3.eu-west-1.amazonaws.com", "http://minio:9000"
  std::string backups_s3_bucket;
  std::string backups_s3_access_key;
  std::string backups_s3_secret_key;
  std::string backups_s3_region = "us-east-1";
  std::string backups_s3_ca_file;  // PEM: trust this for the endpoint's TLS
  bool BackupsInS3() const { return !backups_s3_bucket.empty(); }
  std::filesystem::path BackupsDir() const { return data_dir / "backups"; }

  std::filesystem::path ConfigPath() const { return data_dir / "config.yaml"; }
  std::filesystem::path DatabasePath() const { return data_dir / "mothership.db"; }
  std::filesystem::path HostKeyPath() const { return data_dir / host_key; }
  std::filesystem::path ReposDir() const { return data_dir / "repos"; }
  std::filesystem::path RunDir() const { return data_dir / "run"; }
  std::filesystem::path HookSocketPath() const { return RunDir() / "hooks.sock"; }
  std::filesystem::path TrashDir() const { return data_dir / "trash"; }
  std::filesystem::path ProxyDir() const { return data_dir / "proxy"; }  // routes.json
  // The ACME directory to get certificates from: acme_directory, or Let's
  // Encrypt's when that is empty and the domain can be public (not localhost,
  // not an address, not a single label); "" when ACME is off.
  std::string AcmeDirectory() const;
  // The platform's own host (its API): api_host, or "mothership.DOMAIN"; "" without a domain.
  std::string PlatformHost() const {
    if (!api_host.empty()) return api_host;
    return domain.empty() ? "" : "mothership." + domain;
  }
  // The dashboard's address: https://PLATFORM_HOST/ where ACME can give it a
  // certificate, else http through the proxy's http port; the API's loopback
  // port when there is no domain.
  std::string DashboardUrl() const;
  // Where the daemon serves the API to the proxy.
  std::filesystem::path ApiSocketPath() const { return ProxyDir() / "api.sock"; }
  // The registry's account when it listens beyond loopback (registry_credentials.h).
  std::filesystem::path RegistryDir() const { return data_dir / "registry"; }
  // Labels this installation's containers and services (several installations,
  // or test daemons, may share one engine): a hash of the data directory.
  std::string InstallId() const;
  // Where an app answers through the proxy: http://APP.DOMAIN[:http_port]/
  std::string AppUrl(const std::string& app) const;
};

// Reads DATA_DIR/config.yaml. Unknown keys and values of the wrong type are errors
// naming the key, so a typo never passes silently.
Result<Settings> LoadSettings(const std::filesystem::path& data_dir);

// Writes settings as YAML with a comment per key (atomically, via rename).
Result<void> SaveSettings(const Settings& settings);

// Checks ranges (ports, timeouts, domain syntax).
Result<void> ValidateSettings(const Settings& settings);

}  // namespace ms
