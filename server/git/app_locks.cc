#include "server/git/app_locks.h"

#include <chrono>

namespace ms {

AppLock& AppLock::operator=(AppLock&& other) noexcept {
  if (this != &other) {
    Release();
    locks_ = other.locks_;
    app_ = std::move(other.app_);
    other.locks_ = nullptr;
  }
  return *this;
}

void AppLock::Release() {
  if (locks_) locks_->Release(app_);
  locks_ = nullptr;
}

AppLock AppLocks::TryAcquire(const std::string& app) {
  std::lock_guard lock(mu_);
  if (held_.contains(app)) return AppLock();
  held_.insert(app);
  return AppLock(this, app);
}

AppLock AppLocks::Acquire(const std::string& app, const std::function<bool()>& cancelled) {
  std::unique_lock lock(mu_);
  while (held_.contains(app)) {
    if (cancelled()) return AppLock();
    cv_.wait_for(lock, std::chrono::milliseconds(200));
  }
  held_.insert(app);
  return AppLock(this, app);
}

void AppLocks::Release(const std::string& app) {
  {
    std::lock_guard lock(mu_);
    held_.erase(app);
  }
  cv_.notify_all();
}

}  // namespace ms
