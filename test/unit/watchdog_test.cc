// The build watchdog (server/builder/watchdog.h) on a FakeClock: it fires
// once its limit has passed on the clock, and never when it is done first.

#include "server/builder/watchdog.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

using namespace std::chrono_literals;

namespace {

// Polls until flag is set, 5 s at most.
bool WaitFor(const std::atomic<int>& flag) {
  auto until = std::chrono::steady_clock::now() + 5s;
  while (flag.load() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
  return flag.load() != 0;
}

}  // namespace

TEST_CASE("Watchdog: fires once its limit has passed on the clock", "[watchdog]") {
  ms::FakeClock clock;
  std::atomic<int> calls{0};
  ms::Watchdog watchdog(clock, 600s, [&] { ++calls; });
  clock.Advance(599s);
  CHECK_FALSE(watchdog.fired());
  clock.Advance(1s);
  REQUIRE(WaitFor(calls));
  CHECK(watchdog.fired());
  clock.Advance(600s);
  CHECK(calls.load() == 1);
}

TEST_CASE("Watchdog: done before its limit it never fires", "[watchdog]") {
  ms::FakeClock clock;
  std::atomic<int> calls{0};
  {
    ms::Watchdog watchdog(clock, 600s, [&] { ++calls; });
    clock.Advance(599s);
  }
  // Past its limit now; another watchdog on the clock fires, this one did not.
  std::atomic<int> control{0};
  ms::Watchdog other(clock, 1s, [&] { ++control; });
  clock.Advance(2s);
  REQUIRE(WaitFor(control));
  CHECK(calls.load() == 0);
}
