#include "server/api/auth_limiter.h"

#include <algorithm>
#include <cmath>

namespace ms {

void AuthLimiter::Refill(Bucket& b, Clock::time_point now) const {
  if (now <= b.at) return;
  double gained = std::chrono::duration<double>(now - b.at).count() / static_cast<double>(refill_.count());
  b.tokens = std::min(static_cast<double>(burst_), b.tokens + gained);
  b.at = now;
}

std::optional<int> AuthLimiter::RetryAfter(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) return std::nullopt;
  Refill(it->second, now);
  if (it->second.tokens >= 1.0) return std::nullopt;
  double wait = (1.0 - it->second.tokens) * static_cast<double>(refill_.count());
  return std::max(1, static_cast<int>(std::ceil(wait)));
}

void AuthLimiter::Failed(const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_addresses_ && !order_.empty()) {
      buckets_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(address);
    it = buckets_.emplace(address, Bucket{static_cast<double>(burst_), now, std::prev(order_.end())}).first;
  } else {
    order_.splice(order_.end(), order_, it->second.order);
  }
  Refill(it->second, now);
  it->second.tokens = std::max(0.0, it->second.tokens - 1.0);
}

}  // namespace ms
