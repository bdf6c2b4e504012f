#include "server/git/app_locks.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

// Waits (yielding, not sleeping a fixed time) until pred() holds or 5 s pass.
template <class Pred>
bool WaitFor(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace

TEST_CASE("TryAcquire fails while the app is held and succeeds after release", "[app_locks]") {
  ms::AppLocks locks;
  ms::AppLock first = locks.TryAcquire("demo");
  REQUIRE(first);
  CHECK_FALSE(locks.TryAcquire("demo"));
  CHECK_FALSE(locks.TryAcquire("demo"));

  // Other apps are independent.
  ms::AppLock other = locks.TryAcquire("other");
  CHECK(other);

  first.Release();
  CHECK_FALSE(first);
  first.Release();  // idempotent
  ms::AppLock again = locks.TryAcquire("demo");
  CHECK(again);
}

TEST_CASE("AppLock releases on destruction and moves ownership", "[app_locks]") {
  ms::AppLocks locks;
  {
    ms::AppLock scoped = locks.TryAcquire("demo");
    REQUIRE(scoped);
    CHECK_FALSE(locks.TryAcquire("demo"));
  }
  ms::AppLock a = locks.TryAcquire("demo");
  REQUIRE(a);

  ms::AppLock b(std::move(a));
  CHECK_FALSE(a);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  CHECK(b);
  a.Release();  // releasing the moved-from lock must not free the app
  CHECK_FALSE(locks.TryAcquire("demo"));

  // Move-assigning releases what the target held.
  ms::AppLock c = locks.TryAcquire("other");
  REQUIRE(c);
  c = std::move(b);
  CHECK(c);
  CHECK_FALSE(b);  // NOLINT(bugprone-use-after-move)
  CHECK(locks.TryAcquire("other"));  // released by the assignment (and the temporary)
  CHECK_FALSE(locks.TryAcquire("demo"));
  c.Release();
  CHECK(locks.TryAcquire("demo"));

  ms::AppLock empty;
  CHECK_FALSE(empty);
}

TEST_CASE("Acquire returns at once when the app is free", "[app_locks]") {
  ms::AppLocks locks;
  ms::AppLock lock = locks.Acquire("demo", [] { return false; });
  CHECK(lock);
  CHECK_FALSE(locks.TryAcquire("demo"));
  // Even when already cancelled, a free app is taken.
  ms::AppLock other = locks.Acquire("other", [] { return true; });
  CHECK(other);
}

TEST_CASE("Acquire waits until another thread releases", "[app_locks]") {
  ms::AppLocks locks;
  ms::AppLock held = locks.TryAcquire("demo");
  REQUIRE(held);

  std::atomic<int> checks{0};
  std::promise<bool> acquired;
  auto future = acquired.get_future();
  std::thread waiter([&] {
    ms::AppLock lock = locks.Acquire("demo", [&] {
      ++checks;
      return false;
    });
    acquired.set_value(static_cast<bool>(lock));
  });

  // The waiter has seen the app held (it checks cancelled() before each wait).
  REQUIRE(WaitFor([&] { return checks.load() >= 1; }));
  CHECK(future.wait_for(0s) == std::future_status::timeout);

  held.Release();
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  CHECK(future.get() == true);
  waiter.join();
  // The waiter's lock was released when its thread finished.
  CHECK(locks.TryAcquire("demo"));
}

TEST_CASE("Acquire gives up when cancelled() turns true", "[app_locks]") {
  ms::AppLocks locks;
  ms::AppLock held = locks.TryAcquire("demo");
  REQUIRE(held);

  std::atomic<bool> cancel{false};
  std::atomic<int> checks{0};
  std::promise<bool> result;
  auto future = result.get_future();
  std::thread waiter([&] {
    ms::AppLock lock = locks.Acquire("demo", [&] {
      ++checks;
      return cancel.load();
    });
    result.set_value(static_cast<bool>(lock));
  });

  REQUIRE(WaitFor([&] { return checks.load() >= 1; }));
  CHECK(future.wait_for(0s) == std::future_status::timeout);
  cancel = true;
  // cancelled() is polled at least every 200 ms; allow generous slack.
  REQUIRE(future.wait_for(5s) == std::future_status::ready);
  CHECK(future.get() == false);
  waiter.join();

  // The holder still has it.
  CHECK(held);
  CHECK_FALSE(locks.TryAcquire("demo"));
}

TEST_CASE("Acquire gives up at once when already cancelled and the app is held",
          "[app_locks]") {
  ms::AppLocks locks;
  ms::AppLock held = locks.TryAcquire("demo");
  REQUIRE(held);
  ms::AppLock lock = locks.Acquire("demo", [] { return true; });
  CHECK_FALSE(lock);
}

TEST_CASE("AppLocks gives mutual exclusion per app under contention", "[app_locks]") {
  ms::AppLocks locks;
  constexpr int kThreads = 6, kRounds = 200;
  std::atomic<int> inside{0};
  std::atomic<bool> overlap{false};
  int counter = 0;  // guarded by the "demo" lock only
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        ms::AppLock lock = locks.Acquire("demo", [] { return false; });
        if (!lock) {
          overlap = true;
          return;
        }
        if (inside.fetch_add(1) != 0) overlap = true;
        ++counter;
        inside.fetch_sub(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK_FALSE(overlap.load());
  CHECK(counter == kThreads * kRounds);
  CHECK(locks.TryAcquire("demo"));
}
