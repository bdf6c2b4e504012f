#pragma once
// BackupSchedule: the daemon's thread that takes the add-ons' daily backups
// (pg:backups:schedule) once a minute comes at or after their time, and
// removes scheduled ones past backups_keep (PgBackups::RunSchedule). Its
// destructor stops it, waiting for a backup under way to end. One per daemon.

#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/addons/pg_backups.h"
#include "server/git/app_locks.h"

namespace ms {

class BackupSchedule {
 public:
  BackupSchedule(const Settings& settings, Store& store, Addons& addons, AppLocks& locks)
      : backups_(settings, store, addons), locks_(locks) {}
  ~BackupSchedule();
  void Start();

 private:
  PgBackups backups_;
  AppLocks& locks_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ms
