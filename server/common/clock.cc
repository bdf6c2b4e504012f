#include "server/common/clock.h"

#include <thread>

namespace ms {

SystemClock& SystemClock::Get() {
  static SystemClock clock;
  return clock;
}

Clock::TimePoint SystemClock::Now() { return std::chrono::steady_clock::now(); }

void SystemClock::SleepFor(Duration d) { std::this_thread::sleep_for(d); }

}  // namespace ms
