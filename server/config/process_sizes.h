#pragma once
// Process sizes, Heroku's way: a name stands for the memory, CPU and number of
// processes (threads included) each process of a type may use. `ps:resize
// APP web=SIZE` picks one per type, `default_size` in config.yaml the rest;
// one-off runs and the release phase run at the default size. Docker enforces
// them as cgroup limits: over its memory a process is killed (and Swarm
// starts it again), over its processes fork fails, and its CPU is a quota.
// Pure data; any thread.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "server/docker/engine_types.h"  // ResourceLimits

namespace ms {

struct ProcessSize {
  std::string_view name;
  int memory_mb = 0;
  double cpus = 0;        // a quota of CPU time, at most the host's CPUs
  int max_processes = 0;  // processes and threads
};

inline constexpr std::string_view kDefaultProcessSize = "standard-1x";

// Smallest first.
std::span<const ProcessSize> ProcessSizes();
// nullptr when no size has that name.
const ProcessSize* FindProcessSize(std::string_view name);
// "basic, standard-1x, ..." for error messages.
std::string ProcessSizeNames();
// The limits of a size on a host with host_cpus CPUs (a quota over them
// would not start).
ResourceLimits LimitsOf(const ProcessSize& size, unsigned host_cpus);

}  // namespace ms
