#pragma once
// Clock: the time seam of code that waits (rollouts, builds, the proxy's
// start). Now() is a steady time point; SleepFor() waits. SystemClock is the
// real one; FakeClock advances at once when slept on, so tests of waiting
// logic run without waiting, and can run something at each sleep (a scripted
// engine's next step). Both may be called from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace ms {

// Unix seconds as UTC text in a strftime format ("%Y-%m-%dT%H:%M:%SZ").
std::string UtcText(int64_t unix_seconds, const char* format);

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  virtual ~Clock() = default;
  virtual TimePoint Now() = 0;
  virtual void SleepFor(Duration d) = 0;
};

// The machine's steady clock; SystemClock::Get() is shared by the process.
class SystemClock : public Clock {
 public:
  static SystemClock& Get();
  TimePoint Now() override;
  void SleepFor(Duration d) override;
};

// Time that moves only when slept on (or Advance()d).
class FakeClock : public Clock {
 public:
  TimePoint Now() override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void SleepFor(Duration d) override {
    std::function<void()> hook;
    {
      std::lock_guard lock(mu_);
      now_ += d;
      ++sleeps_;
      hook = on_sleep_;
    }
    if (hook) hook();
  }
  void Advance(Duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  // Runs after every SleepFor.
  void OnSleep(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    on_sleep_ = std::move(hook);
  }
  int sleeps() {
    std::lock_guard lock(mu_);
    return sleeps_;
  }
  // How long the clock has moved since it was made.
  Duration Elapsed() {
    std::lock_guard lock(mu_);
    return now_ - TimePoint{};
  }

 private:
  std::mutex mu_;
  TimePoint now_{};
  int sleeps_ = 0;
  std::function<void()> on_sleep_;
};

}  // namespace ms
