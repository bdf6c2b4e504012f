#pragma once
// AppLocks: one lock per app name, so that two pushes (or a push and a rename or
// destroy) never work on the same app at once, while different apps proceed in
// parallel. Thread-safe. AppLock releases on destruction.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>

namespace ms {

class AppLocks;

class AppLock {
 public:
  AppLock() = default;
  AppLock(AppLock&& other) noexcept : locks_(other.locks_), app_(std::move(other.app_)) {
    other.locks_ = nullptr;
  }
  AppLock& operator=(AppLock&& other) noexcept;
  ~AppLock() { Release(); }
  explicit operator bool() const { return locks_ != nullptr; }
  void Release();

 private:
  friend class AppLocks;
  AppLock(AppLocks* locks, std::string app) : locks_(locks), app_(std::move(app)) {}
  AppLocks* locks_ = nullptr;
  std::string app_;
};

class AppLocks {
 public:
  // Returns an empty AppLock when another holder has the app.
  AppLock TryAcquire(const std::string& app);
  // Waits until the app is free; gives up (empty AppLock) as soon as cancelled()
  // returns true, which is checked at least every 200 ms.
  AppLock Acquire(const std::string& app, const std::function<bool()>& cancelled);

 private:
  friend class AppLock;
  void Release(const std::string& app);

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> held_;
};

}  // namespace ms
