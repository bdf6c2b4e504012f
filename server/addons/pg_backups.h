#pragma once
// Backups of Postgres add-ons (pg:backups): `pg_dump -Fc` of the add-on's
// database, run as its user in a client container (addons.h) that writes
// DATA_DIR/backups/ADDON/ID.pgdump.partial itself (the directory mounted into
// it; mode 0700), made 0600, synced and renamed once pg_dump succeeded; with backups_s3_bucket set
// it is then uploaded as ADDON/ID.pgdump to the bucket (S3Client) and the
// local file removed, and a restore or a download fetches it back first.
// Scheduled backups beyond backups_keep are removed. Each backup is a row of
// the store; one that fails (pg_dump's error, a full disk) is marked failed
// with the reason and its file removed, never reported good. A restore feeds
// a dump to `pg_restore --clean --if-exists --no-owner --no-acl
// --single-transaction`: all of it or nothing. Any thread.

#include <filesystem>
#include <functional>
#include <string>

#include "server/addons/addons.h"
#include "server/common/output.h"
#include "server/common/result.h"
#include "server/config/settings.h"
#include "server/git/app_locks.h"
#include "server/store/store.h"

namespace ms {

// "b007" for backup 7; ParseBackupId takes "b007" or "7".
std::string BackupName(int64_t id);
Result<int64_t> ParseBackupId(const std::string& text);

class PgBackups {
 public:
  PgBackups(const Settings& settings, Store& store, Addons& addons)
      : settings_(settings), store_(store), addons_(addons) {}

  // Dumps the add-on's database; progress (pg_dump's verbose lines) to
  // progress. The backup's row, succeeded; or the error, the row failed.
  Result<AddonBackup> Capture(const Addon& addon, const std::string& taken_by, Output& progress,
                              const std::function<bool()>& cancelled);
  // Restores a succeeded backup into the add-on's database.
  Result<void> Restore(const Addon& addon, const AddonBackup& backup, Output& progress,
                       const std::function<bool()>& cancelled);
  // Restores a dump read from fd (pg:backups:restore APP -: one uploaded,
  // from another installation or a Heroku backup); `what` names it in the output.
  Result<void> RestoreFrom(const Addon& addon, int fd, const std::string& what, Output& progress,
                           const std::function<bool()>& cancelled);
  // Writes the backup's bytes to out.
  Result<void> Download(const AddonBackup& backup, Output& out);
  // The add-on's backup: by id, or (id 0) its newest that succeeded.
  Result<AddonBackup> Find(const Addon& addon, int64_t id);
  // A backup of one of the app's destroyed add-ons (Store::ListFormerBackups):
  // by id, or (id 0) the newest that succeeded.
  Result<AddonBackup> FindFormer(const std::string& app, int64_t id);

  std::filesystem::path PathOf(const AddonBackup& backup) const;
  // At the daemon's start: the backups it stopped during are marked failed,
  // and their ".partial" files and the dumps fetched from the bucket go.
  void FinishInterrupted();
  // Removes the add-on's backups but its newest backups_keep scheduled ones
  // and its newest backups_keep taken by hand (last ones stay).
  Result<void> Prune(const Addon& addon);

  // Takes the backups of the add-ons whose schedule time (UTC "HH:MM") has
  // come today and that have none from the schedule today (a failed one
  // counts: it is tried again the next day), each under the add-on's lock
  // ("addon:NAME"; one busy is tried again in the next round). now: Unix seconds.
  void RunSchedule(int64_t now, AppLocks& locks, const std::function<bool()>& cancelled);

 private:
  // The dump of a backup on this disk: its file, or (in S3) a copy fetched
  // into DATA_DIR/tmp, which `fetched` says to remove after use.
  Result<std::filesystem::path> Local(const AddonBackup& backup, bool& fetched);

  const Settings& settings_;
  Store& store_;
  Addons& addons_;
};

}  // namespace ms
