#include "server/addons/postgres_service.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ms {
namespace {

constexpr int64_t kMemoryBytes = int64_t{1} << 30;  // 1 GB
constexpr int64_t kNanoCpus = 2 * kNanosPerSecond;   // 2 CPUs
constexpr int64_t kPids = 512;

}  // namespace

Result<void> ValidateAddonName(const std::string& name) {
  bool ok = name.size() >= 2 && name.size() <= 40 && name.front() != '-' && name.back() != '-';
  for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
  if (!ok) {
    return InvalidArgument(fmt::format(
        "'{}' is not an add-on name: use 2 to 40 lower-case letters, digits and dashes, not starting or ending "
        "with a dash",
        name.substr(0, 64)));
  }
  return {};
}

Result<void> ValidateAttachmentName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 40 && name.front() >= 'A' && name.front() <= 'Z';
  for (char c : name) ok = ok && ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
  if (!ok) {
    return InvalidArgument(fmt::format(
        "'{}' is not an attachment name: use upper-case letters, digits and underscores, starting with a letter "
        "(--as DATABASE sets DATABASE_URL)",
        name.substr(0, 64)));
  }
  return {};
}

std::string PgIdentifier(const std::string& app) {
  std::string id = app;
  for (char& c : id) {
    if (c == '-') c = '_';
  }
  // Postgres reserves names starting with pg_ and has postgres, template0
  // and template1 already; none may start with a digit.
  if (id.empty() || (id.front() >= '0' && id.front() <= '9') || id.starts_with("pg_") || id == "postgres" ||
      id == "template0" || id == "template1") {
    id = "app_" + id;
  }
  return id;
}

std::string AddonServiceName(const std::string& addon) { return "addon_" + addon; }

std::string AddonVolumeName(const std::string& install, const std::string& addon) {
  return fmt::format("mothership-addon-{}-{}", install, addon);
}

std::string DatabaseUrl(const Addon& addon) {
  return fmt::format("postgres://{}:{}@{}:{}/{}", addon.db_user, addon.db_password, AddonServiceName(addon.name),
                     kPostgresPort, addon.db_name);
}

ServiceSpec AddonServiceBase(const Addon& addon, const std::string& install,
                             const std::vector<std::string>& networks) {
  ServiceSpec s;
  s.name = AddonServiceName(addon.name);
  s.labels = {{"mothership.install", install}, {"mothership.addon", addon.name}, {"mothership.addon.kind", addon.kind}};
  s.container_labels = s.labels;
  // The networks it should be on, compared at the daemon's start (Ensure).
  s.labels["mothership.networks"] = fmt::format("{}", fmt::join(networks, ","));
  s.cap_drop = {"ALL"};
  for (const auto& network : networks) s.networks.push_back(NetworkAttachment{network, {}});
  if (!addon.node_id.empty()) s.constraints = {"node.id==" + addon.node_id};
  s.restart_condition = "any";
  s.replicas = 1;
  s.update.order = "stop-first";
  s.update.failure_action = "pause";
  s.endpoint_mode = "dnsrr";
  s.log_options = {{"max-size", "10m"}, {"max-file", "3"}};
  return s;
}

ServiceSpec MakePostgresServiceSpec(const Addon& addon, const std::string& install,
                                    const std::vector<std::string>& networks) {
  ServiceSpec s = AddonServiceBase(addon, install, networks);
  s.image = std::string(kPostgresImage);
  s.mounts = {BindMount{AddonVolumeName(install, addon.name), "/var/lib/postgresql/data", false, true}};
  s.stop_grace_ns = 60 * kNanosPerSecond;
  s.health_check = HealthCheckSpec{{"CMD", "pg_isready", "-q", "-h", "/var/run/postgresql"},
                                   2 * kNanosPerSecond, 5 * kNanosPerSecond, 3, 60 * kNanosPerSecond};
  s.limits = ResourceLimits{kMemoryBytes, kNanoCpus, kPids, 0};
  return s;
}

}  // namespace ms
