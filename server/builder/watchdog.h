#pragma once
// Watchdog: calls a function once a time limit has passed on a Clock, unless
// it is destroyed first. The builder stops a build's container with it when
// the build runs over build_timeout_seconds. The clock is looked at every
// 100 ms at most, so a FakeClock moved by a test fires it too.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "server/common/clock.h"

namespace ms {

class Watchdog {
 public:
  // on_expiry runs on the watchdog's own thread, at most once.
  Watchdog(Clock& clock, Clock::Duration limit, std::function<void()> on_expiry);
  // Waits for on_expiry to return when it runs.
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The limit passed and on_expiry ran (or is running).
  bool fired();

 private:
  void Run(Clock& clock, Clock::TimePoint deadline, const std::function<void()>& on_expiry);

  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false, fired_ = false;
  std::thread thread_;
};

}  // namespace ms
