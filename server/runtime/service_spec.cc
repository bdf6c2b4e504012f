#include "server/runtime/service_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ms {
namespace {

// How long a check after a good one sleeps first (HealthCheck).
constexpr int kHealthRestSeconds = 5;

HealthCheckSpec HealthCheck(const std::string& path) {
  // bash's /dev/tcp: no curl needed in the run image.
  std::string probe =
      path.empty()
          ? "exec 3<>/dev/tcp/127.0.0.1/$PORT"
          : fmt::format(
                "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'GET {} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 "
                "&& read -r _ status _ <&3 && [ \"$status\" -ge 200 ] && [ \"$status\" -lt 400 ]",
                path);
  // Every check is a process the engine starts in the container (runc exec,
  // tens of milliseconds of CPU): at one every 0.5 s, twenty idle apps took
  // both cores of a small host and failed their own checks. Yet a new task
  // should be found healthy as soon as it listens (a deploy waits for it),
  // and Docker 20.10 has no StartInterval. So the engine starts a check
  // 100 ms after the last one ended, and the check itself first sleeps as
  // long as its marker file says: no marker (the task has not answered yet):
  // not at all; after a good check 5 s (one check per 5.1 s at rest, less
  // CPU than the 2 s interval before); after a failed one that followed good
  // ones 2 s (three failures in a row take 4.5 s, as before). The marker
  // lives in the container's own /dev/shm (mode 1777, gone with it).
  std::string script = fmt::format(
      "m=/dev/shm/.mothership-check; if [ -e $m ]; then read -r s < $m; sleep \"${{s:-2}}\"; fi; "
      "if ({}); then echo {} > $m; else [ -e $m ] && echo 2 > $m; exit 1; fi",
      probe, kHealthRestSeconds);
  HealthCheckSpec check;
  check.test = {"CMD", "bash", "-c", script};
  check.interval_ns = 100 * kNanosPerSecond / 1000;
  // The probe's own 5 s for a host under load, after the sleep.
  check.timeout_ns = (kHealthRestSeconds + 5) * kNanosPerSecond;
  check.retries = 3;
  check.start_period_ns = 60 * kNanosPerSecond;
  return check;
}

}  // namespace

bool IsCheckPath(const std::string& path) {
  bool ok = path.starts_with('/') && path.size() <= 200;
  for (char c : path) ok = ok && c > ' ' && c < 127 && c != '\'' && c != '\\' && c != '"' && c != '%';
  return ok;
}

std::string EscapeSwarmTemplate(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value.compare(i, 2, "{{") == 0) {
      out += "{{\"{{\"}}";
      ++i;
    } else {
      out += value[i];
    }
  }
  return out;
}

std::string ServiceName(const std::string& app, const std::string& type) { return app + "-" + type; }
std::string AppNetworkName(const std::string& app) { return app + "-net"; }

ServiceSpec MakeServiceSpec(const ProcessSpec& p) {
  const Release& r = *p.release;
  ServiceSpec s;
  s.name = ServiceName(p.app, p.type);
  s.labels = {{"mothership.app", p.app},
              {"mothership.install", p.install},
              {"mothership.process", p.type},
              {"mothership.release", fmt::format("v{}", r.version)}};
  if (!p.size.empty()) s.labels["mothership.size"] = p.size;
  if (p.stopped) s.labels["mothership.stopped"] = "true";
  s.image = r.image;
  if (!p.command.empty()) s.args = {p.command};  // empty: the image's own CMD (a Dockerfile app)
  for (const auto& [k, v] : r.config) s.env.push_back(k + "=" + EscapeSwarmTemplate(v));
  s.env.push_back(fmt::format("PORT={}", kAppPort));
  s.env.push_back("MOTHERSHIP_APP=" + p.app);
  s.env.push_back(fmt::format("MOTHERSHIP_RELEASE=v{}", r.version));
  s.env.push_back("MOTHERSHIP_PROCESS=" + p.type);
  s.env.push_back("DYNO=" + p.type + ".{{.Task.Slot}}");
  s.container_labels = s.labels;
  s.cap_drop = {"ALL"};  // the app's processes need none: they run as uid 1000 on ports above 1024
  s.stop_grace_ns = int64_t{p.stop_grace_seconds} * kNanosPerSecond;
  if (p.type == "web") s.health_check = HealthCheck(p.check_path);
  s.networks = {{p.app_network, {p.type}}};
  s.restart_condition = "on-failure";
  s.restart_delay_ns = kNanosPerSecond;
  s.log_options = {{"max-size", "10m"}, {"max-file", "3"}};
  s.force_update = p.force_update;
  s.limits = p.limits;
  s.replicas = p.stopped ? 0 : p.replicas;
  s.update.parallelism = 1;
  s.update.delay_ns = 0;
  s.update.failure_action = "rollback";
  // (The engine reads a Monitor of 0 as its default, 5 s: none is 1 ns.)
  s.update.monitor_ns = std::max<int64_t>(1, std::llround(p.update_monitor_seconds * kNanosPerSecond));
  s.update.max_failure_ratio = 0;
  s.update.order = "start-first";
  if (!p.storage.empty()) {
    // Two releases never write the same volume: the old task stops first,
    // on the node the volume is on.
    s.mounts = p.storage;
    s.update.order = "stop-first";
    if (!p.storage_node.empty()) s.constraints = {"node.id==" + p.storage_node};
  }
  s.rollback = s.update;
  s.rollback->failure_action = "pause";
  s.endpoint_mode = "dnsrr";
  return s;
}

}  // namespace ms
