#include "server/builder/build_slots.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace ms {

Result<BuildSlots::Slot> BuildSlots::Wait(Output& out, const std::function<bool()>& cancelled) {
  std::unique_lock lock(mu_);
  uint64_t ticket = next_ticket_++;
  line_.push_back(ticket);
  size_t told = 0;  // the place last told; 0: none yet
  while (true) {
    size_t place = static_cast<size_t>(std::find(line_.begin(), line_.end(), ticket) - line_.begin()) + 1;
    if (place == 1 && running_ < max_) {
      line_.pop_front();
      ++running_;
      changed_.notify_all();  // the next in line moved up
      lock.unlock();  // (a client slow to read must not hold up the line)
      if (told) out.Write("-----> A build slot is free: building\n");
      return Slot(this);
    }
    if (place != told) {
      told = place;
      int now_running = running_;
      lock.unlock();
      out.Write(fmt::format(
          "-----> Waiting for a build slot: {} build{} running (max_concurrent_builds {}); this push is number {} in "
          "line\n",
          now_running, now_running == 1 ? "" : "s", max_, place));
      lock.lock();
      continue;
    }
    changed_.wait_for(lock, std::chrono::seconds(1));
    if (cancelled && cancelled()) {
      line_.erase(std::find(line_.begin(), line_.end(), ticket));
      changed_.notify_all();
      return Failed("the push went away while it waited for a build slot");
    }
  }
}

void BuildSlots::Release() {
  std::lock_guard lock(mu_);
  --running_;
  changed_.notify_all();
}

int BuildSlots::running() {
  std::lock_guard lock(mu_);
  return running_;
}

int BuildSlots::waiting() {
  std::lock_guard lock(mu_);
  return static_cast<int>(line_.size());
}

}  // namespace ms
