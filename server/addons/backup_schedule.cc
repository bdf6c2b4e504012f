#include "server/addons/backup_schedule.h"

#include <chrono>
#include <exception>

#include "server/common/log.h"

namespace ms {

void BackupSchedule::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      const auto now = std::chrono::system_clock::now().time_since_epoch();
      // An exception barrier: a failure here ends this round, never the daemon.
      try {
        backups_.RunSchedule(std::chrono::duration_cast<std::chrono::seconds>(now).count(), locks_, [this] {
          std::lock_guard guard(mu_);
          return stopping_;
        });
      } catch (const std::exception& e) {
        LogError("the backup schedule failed this round: {}", e.what());
      } catch (...) {
        LogError("the backup schedule failed this round: an unknown exception");
      }
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
