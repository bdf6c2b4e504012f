#include "server/builder/build_fence.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "server/common/log.h"
#include "server/process/child_process.h"

namespace ms {
namespace {

const std::filesystem::path kCgroups = "/sys/fs/cgroup";

// iptables -w ARGS; its exit code, or -1 when it cannot run.
int Iptables(const std::vector<std::string>& args) {
  auto program = FindProgram("iptables");
  if (!program) return -1;
  ChildSpec spec;
  spec.program = *program;
  spec.args = {"-w", "5"};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  auto status = RunQuietly(spec);
  return status ? ExitCode(**status) : -1;
}

// Adds CHAIN RULE at the top of CHAIN unless it is there.
Result<void> EnsureRule(const std::string& chain, const std::vector<std::string>& rule) {
  std::vector<std::string> check = {"-C", chain};
  check.insert(check.end(), rule.begin(), rule.end());
  if (Iptables(check) == 0) return {};
  std::vector<std::string> insert = {"-I", chain};
  insert.insert(insert.end(), rule.begin(), rule.end());
  if (int code = Iptables(insert); code != 0) {
    std::string text;
    for (const auto& w : insert) text += " " + w;
    return Failed(fmt::format("cannot fence the build network: `iptables{}` failed ({}); builds need iptables "
                              "and root",
                              text, code < 0 ? "iptables is not installed" : fmt::format("exit {}", code)));
  }
  return {};
}

}  // namespace

Result<void> EnsureBuildFence(DockerClient& docker) {
  const std::string bridge = kBuildBridge;
  auto network = docker.EnsureBridgeNetwork(
      kBuildNetwork, {{"mothership.role", "build"}},
      {{"com.docker.network.bridge.name", bridge}, {"com.docker.network.bridge.enable_icc", "false"}});
  if (!network) return std::unexpected(network.error());
  // DOCKER-USER exists once the engine runs with its iptables rules; it is
  // consulted before the engine's own FORWARD rules.
  if (auto r = EnsureRule("INPUT", {"-i", bridge, "-j", "REJECT"}); !r) return r;
  if (auto r = EnsureRule("DOCKER-USER", {"-i", bridge, "-d", "169.254.0.0/16", "-j", "REJECT"}); !r) return r;
  return EnsureRule("DOCKER-USER", {"-i", bridge, "-m", "conntrack", "--ctstate", "DNAT", "-j", "REJECT"});
}

Result<BuildCgroup> BuildCgroup::Create(const std::string& name, int64_t max_processes) {
  std::error_code ec;
  const auto pids = kCgroups / "pids";
  if (!std::filesystem::exists(pids / "pids.max", ec) && !std::filesystem::exists(pids / "tasks", ec)) {
    return Unavailable("this host has no cgroup v1 pids controller at /sys/fs/cgroup/pids, which Dockerfile "
                       "builds need for their process limit");
  }
  std::filesystem::create_directory(pids / name, ec);
  if (ec) return Failed(fmt::format("cannot make the build's cgroup {}: {}", (pids / name).string(), ec.message()));
  BuildCgroup cgroup(name);
  std::ofstream max(pids / name / "pids.max");
  max << max_processes << "\n";
  max.close();
  if (!max) return Failed(fmt::format("cannot set pids.max in {}", (pids / name).string()));
  return cgroup;
}

BuildCgroup::BuildCgroup(BuildCgroup&& other) noexcept : name_(std::move(other.name_)) { other.name_.clear(); }

BuildCgroup::~BuildCgroup() {
  if (name_.empty()) return;
  // The engine made NAME in every controller's hierarchy for the steps'
  // containers; they are gone once the build returns (rm, forcerm).
  std::error_code ec;
  for (const auto& controller : std::filesystem::directory_iterator(kCgroups, ec)) {
    auto dir = controller.path() / name_;
    if (std::filesystem::is_directory(dir, ec) && rmdir(dir.c_str()) != 0) {
      LogWarn("cannot remove the build cgroup {}: {}", dir.string(), std::strerror(errno));
    }
  }
}

}  // namespace ms
