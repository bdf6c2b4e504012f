#include "server/builder/watchdog.h"

#include <algorithm>

namespace ms {

Watchdog::Watchdog(Clock& clock, Clock::Duration limit, std::function<void()> on_expiry)
    : thread_([this, &clock, deadline = clock.Now() + limit, on_expiry = std::move(on_expiry)] {
        Run(clock, deadline, on_expiry);
      }) {}

void Watchdog::Run(Clock& clock, Clock::TimePoint deadline, const std::function<void()>& on_expiry) {
  std::unique_lock lock(mu_);
  while (!done_) {
    auto left = deadline - clock.Now();
    if (left <= Clock::Duration::zero()) {
      fired_ = true;
      lock.unlock();
      on_expiry();
      return;
    }
    cv_.wait_for(lock, std::min<Clock::Duration>(left, std::chrono::milliseconds(100)));
  }
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool Watchdog::fired() {
  std::lock_guard lock(mu_);
  return fired_;
}

}  // namespace ms
