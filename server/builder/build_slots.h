#pragma once
// BuildSlots: at most max_concurrent_builds builds at once, the rest wait in
// line, first come first served. A waiting push is told its place, and told
// again as the line moves. Thread-safe.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "server/common/output.h"
#include "server/common/result.h"

namespace ms {

class BuildSlots {
 public:
  explicit BuildSlots(int max_builds) : max_(max_builds < 1 ? 1 : max_builds) {}

  // A slot held until it is destroyed.
  class Slot {
   public:
    Slot() = default;
    explicit Slot(BuildSlots* owner) : owner_(owner) {}
    Slot(Slot&& o) noexcept : owner_(o.owner_) { o.owner_ = nullptr; }
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (owner_) owner_->Release();
    }

   private:
    BuildSlots* owner_ = nullptr;
  };

  // Waits for a slot, writing "waiting ... number N in line" to out when it
  // cannot start at once and whenever its place changes. Fails when
  // cancelled() turns true first (checked every second).
  Result<Slot> Wait(Output& out, const std::function<bool()>& cancelled = nullptr);

  // Builds running now, and pushes waiting (for tests and status).
  int running();
  int waiting();

 private:
  void Release();

  const int max_;
  std::mutex mu_;
  std::condition_variable changed_;
  int running_ = 0;
  uint64_t next_ticket_ = 0;
  std::deque<uint64_t> line_;
};

}  // namespace ms
