#include "server/addons/backup_schedule.h"

#include <chrono>

namespace ms {

void BackupSchedule::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      backups_.RunSchedule(std::chrono::duration_cast<std::chrono::seconds>(now).count(), [this] {
        std::lock_guard guard(mu_);
        return stopping_;
      });
      lock.lock();
      wake_.wait_for(lock, std::chrono::seconds(30), [this] { return stopping_; });
    }
  });
}

BackupSchedule::~BackupSchedule() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace ms
