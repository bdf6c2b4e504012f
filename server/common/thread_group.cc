#include "server/common/thread_group.h"

#include "server/common/log.h"

namespace ms {

void ThreadGroup::Spawn(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  ReapLocked();
  auto entry = std::make_shared<Entry>();
  entries_.push_back(entry);
  entry->thread = std::thread([this, fn = std::move(fn), raw = entry.get()] {
    // The barrier: a throw ends this one piece of work, never the process.
    try {
      fn();
    } catch (const std::exception& e) {
      LogError("internal error, one connection's work ended: {}", e.what());
    } catch (...) {
      LogError("internal error, one connection's work ended: an unknown exception");
    }
    std::lock_guard inner(mu_);
    raw->done = true;
  });
}

int ThreadGroup::Count() {
  std::lock_guard lock(mu_);
  ReapLocked();
  return static_cast<int>(entries_.size());
}

void ThreadGroup::ReapLocked() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

void ThreadGroup::JoinAll() {
  std::list<std::shared_ptr<Entry>> entries;
  {
    std::lock_guard lock(mu_);
    entries.swap(entries_);
  }
  for (auto& e : entries) {
    if (e->thread.joinable()) e->thread.join();
  }
}

}  // namespace ms
