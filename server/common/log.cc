#include "server/common/log.h"

#include <cstdio>
#include <ctime>
#include <mutex>

namespace ms {

void LogLine(std::string_view level, std::string_view message) {
  static std::mutex mu;
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard lock(mu);
  std::fprintf(stderr, "%s %s %.*s\n", stamp, std::string(level).c_str(),
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
}

}  // namespace ms
