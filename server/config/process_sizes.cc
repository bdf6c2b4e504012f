#include "server/config/process_sizes.h"

#include <algorithm>

namespace ms {
namespace {

// Heroku's dyno sizes: their memory and process limits; CPU as a quota.
constexpr ProcessSize kSizes[] = {
    {"basic", 512, 0.5, 256},
    {"standard-1x", 512, 1, 256},
    {"standard-2x", 1024, 2, 512},
    {"performance-m", 2560, 2, 16384},
    {"performance-l", 14336, 8, 32768},
};

}  // namespace

std::span<const ProcessSize> ProcessSizes() { return kSizes; }

const ProcessSize* FindProcessSize(std::string_view name) {
  for (const auto& s : kSizes) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string ProcessSizeNames() {
  std::string out;
  for (const auto& s : kSizes) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

ResourceLimits LimitsOf(const ProcessSize& size, unsigned host_cpus) {
  double cpus = std::min(size.cpus, static_cast<double>(std::max(1u, host_cpus)));
  return {int64_t{size.memory_mb} * 1024 * 1024, static_cast<int64_t>(cpus * 1e9), size.max_processes};
}

}  // namespace ms
