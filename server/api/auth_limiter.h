#pragma once
// AuthLimiter: failed authentications per client address for the HTTP API.
// An address may fail `burst` times, then once per `refill` (a token bucket);
// beyond that it is told to wait (429 with Retry-After) without its token being
// looked at. Remembers at most `max_addresses` addresses (the least recently
// failing go first). Thread-safe.

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace ms {

class AuthLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  AuthLimiter(int burst, std::chrono::seconds refill, size_t max_addresses = 10000)
      : burst_(burst), refill_(refill), max_addresses_(max_addresses) {}

  // nullopt: the address may try; else the seconds it must wait.
  std::optional<int> RetryAfter(const std::string& address, Clock::time_point now);
  // Records a failed attempt.
  void Failed(const std::string& address, Clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    Clock::time_point at;
    std::list<std::string>::iterator order;
  };
  void Refill(Bucket& b, Clock::time_point now) const;

  const int burst_;
  const std::chrono::seconds refill_;
  const size_t max_addresses_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> order_;  // least recently failing first
};

}  // namespace ms
