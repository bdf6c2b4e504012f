#include "server/api/live_builds.h"

namespace ms {

void LiveBuild::Write(std::string_view data) {
  {
    std::lock_guard lock(mu_);
    text_.append(data);
  }
  changed_.notify_all();
}

void LiveBuild::Finish(bool succeeded) {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
    succeeded_ = succeeded;
  }
  changed_.notify_all();
}

bool LiveBuild::succeeded() {
  std::lock_guard lock(mu_);
  return succeeded_;
}

std::string LiveBuild::ReadFrom(size_t offset, std::chrono::milliseconds wait, bool* done) {
  std::unique_lock lock(mu_);
  changed_.wait_for(lock, wait, [&] { return finished_ || text_.size() > offset; });
  std::string out = offset < text_.size() ? text_.substr(offset) : std::string();
  *done = finished_ && offset + out.size() >= text_.size();
  return out;
}

void LiveBuilds::Add(int64_t id, std::shared_ptr<LiveBuild> build) {
  std::lock_guard lock(mu_);
  builds_[id] = std::move(build);
}

void LiveBuilds::Remove(int64_t id) {
  std::lock_guard lock(mu_);
  builds_.erase(id);
}

std::shared_ptr<LiveBuild> LiveBuilds::Find(int64_t id) {
  std::lock_guard lock(mu_);
  auto it = builds_.find(id);
  return it == builds_.end() ? nullptr : it->second;
}

}  // namespace ms
