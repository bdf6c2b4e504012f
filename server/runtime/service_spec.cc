#include "server/runtime/service_spec.h"

#include <fmt/format.h>

namespace ms {
namespace {

constexpr int64_t kSecond = 1'000'000'000;  // the API counts nanoseconds

nlohmann::json HealthCheck(const std::string& path) {
  // bash's /dev/tcp: no curl needed in the run image.
  std::string script =
      path.empty()
          ? "exec 3<>/dev/tcp/127.0.0.1/$PORT"
          : fmt::format(
                "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'GET {} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 "
                "&& read -r _ status _ <&3 && [ \"$status\" -ge 200 ] && [ \"$status\" -lt 400 ]",
                path);
  return {{"Test", {"CMD", "bash", "-c", script}},
          {"Interval", kSecond / 2},
          {"Timeout", 2 * kSecond},
          {"Retries", 3},
          {"StartPeriod", 60 * kSecond}};
}

}  // namespace

bool IsCheckPath(const std::string& path) {
  bool ok = path.starts_with('/') && path.size() <= 200;
  for (char c : path) ok = ok && c > ' ' && c < 127 && c != '\'' && c != '\\' && c != '"' && c != '%';
  return ok;
}

std::string ServiceName(const std::string& app, const std::string& type) { return app + "-" + type; }
std::string AppNetworkName(const std::string& app) { return app + "-net"; }

nlohmann::json MakeServiceSpec(const ProcessSpec& p) {
  const Release& r = *p.release;
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [k, v] : r.config) env.push_back(k + "=" + v);
  env.push_back(fmt::format("PORT={}", kAppPort));
  env.push_back("MOTHERSHIP_APP=" + p.app);
  env.push_back(fmt::format("MOTHERSHIP_RELEASE=v{}", r.version));
  env.push_back("MOTHERSHIP_PROCESS=" + p.type);
  env.push_back("DYNO=" + p.type + ".{{.Task.Slot}}");
  std::map<std::string, std::string> labels = {{"mothership.app", p.app},
                                               {"mothership.install", p.install},
                                               {"mothership.process", p.type},
                                               {"mothership.release", fmt::format("v{}", r.version)}};
  nlohmann::json container = {{"Image", r.image},
                              {"Args", {p.command}},
                              {"Env", env},
                              {"Labels", labels},
                              {"StopGracePeriod", int64_t{p.stop_grace_seconds} * kSecond}};
  nlohmann::json networks = {{{"Target", p.app_network}, {"Aliases", {p.type}}}};
  if (p.type == "web") {
    container["Healthcheck"] = HealthCheck(p.check_path);
  }
  nlohmann::json update = {{"Parallelism", 1},
                           {"Delay", 0},
                           {"FailureAction", "rollback"},
                           {"Monitor", int64_t{p.update_monitor_seconds} * kSecond},
                           {"MaxFailureRatio", 0},
                           {"Order", "start-first"}};
  nlohmann::json rollback = update;
  rollback["FailureAction"] = "pause";
  return {{"Name", ServiceName(p.app, p.type)},
          {"Labels", labels},
          {"TaskTemplate",
           {{"ContainerSpec", container},
            {"RestartPolicy", {{"Condition", "on-failure"}, {"Delay", kSecond}, {"MaxAttempts", 0}}},
            {"Networks", networks},
            {"LogDriver", {{"Name", "json-file"}, {"Options", {{"max-size", "10m"}, {"max-file", "3"}}}}},
            {"ForceUpdate", p.force_update}}},
          {"Mode", {{"Replicated", {{"Replicas", p.replicas}}}}},
          {"UpdateConfig", update},
          {"RollbackConfig", rollback},
          {"EndpointSpec", {{"Mode", "dnsrr"}}}};
}

}  // namespace ms
