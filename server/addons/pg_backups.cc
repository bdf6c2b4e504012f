#include "server/addons/pg_backups.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "server/backups/s3_client.h"
#include "server/common/clock.h"
#include "server/common/random.h"
#include "server/common/log.h"

namespace ms {
namespace {

// What a backup leaves free on the disk of the data directory.
constexpr int64_t kFreeMargin = int64_t{512} << 20;

// Keeps the last lines a client printed on stderr, to say why it failed,
// and passes each to progress.
class StderrOutput : public Output {
 public:
  explicit StderrOutput(Output& progress) : progress_(progress) {}
  void Write(std::string_view data) override {
    progress_.Write(data);
    tail_.append(data);
    if (tail_.size() > 2000) tail_.erase(0, tail_.size() - 2000);
  }
  std::string Tail() const {
    std::string t = tail_;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    auto cut = t.rfind('\n', t.size() > 600 ? t.size() - 600 : 0);
    return cut == std::string::npos ? t : t.substr(cut + 1);
  }

 private:
  Output& progress_;
  std::string tail_;
};

// A backup fetched from the bucket into a scratch file goes once used.
struct RemoveWhenDone {
  std::filesystem::path path;
  bool remove;
  ~RemoveWhenDone() {
    std::error_code ec;
    if (remove) std::filesystem::remove(path, ec);
  }
};

S3Settings S3Of(const Settings& s) {
  S3Settings s3;
  s3.endpoint = s.backups_s3_endpoint;
  s3.bucket = s.backups_s3_bucket;
  s3.access_key = s.backups_s3_access_key;
  s3.secret_key = s.backups_s3_secret_key;
  s3.region = s.backups_s3_region;
  s3.ca_file = s.backups_s3_ca_file;
  return s3;
}

std::string S3Key(const AddonBackup& b) { return b.addon + "/" + BackupName(b.id) + ".pgdump"; }

}  // namespace

std::string BackupName(int64_t id) { return fmt::format("b{:03}", id); }

Result<int64_t> ParseBackupId(const std::string& text) {
  std::string digits = !text.empty() && (text[0] == 'b' || text[0] == 'B') ? text.substr(1) : text;
  int64_t id = 0;
  bool ok = !digits.empty() && digits.size() <= 12;
  for (char c : digits) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) id = id * 10 + (c - '0');
  }
  if (!ok || id == 0) {
    return InvalidArgument(fmt::format("'{}' is not a backup id: use one that pg:backups lists (b001)",
                                       text.substr(0, 32)));
  }
  return id;
}

std::filesystem::path PgBackups::PathOf(const AddonBackup& backup) const {
  return settings_.data_dir / "backups" / backup.addon / (BackupName(backup.id) + ".pgdump");
}

Result<AddonBackup> PgBackups::Capture(const Addon& addon, const std::string& taken_by, Output& progress,
                                       const std::function<bool()>& cancelled) {
  AddonBackup backup;
  backup.addon_id = addon.id;
  backup.addon = addon.name;
  backup.app = addon.app;
  backup.location = settings_.BackupsInS3() ? "s3" : "local";
  backup.taken_by = taken_by;
  auto id = store_.StartBackup(backup);
  if (!id) return std::unexpected(id.error());
  backup.id = *id;
  const auto path = PathOf(backup);
  auto partial = path;
  partial += ".partial";
  auto fail = [&](const std::string& reason) -> Result<AddonBackup> {
    std::error_code ec;
    std::filesystem::remove(partial, ec);
    (void)store_.FinishBackup(backup.id, false, 0, reason);
    return Failed(fmt::format("backup {} of {} failed: {}", BackupName(backup.id), addon.name, reason));
  };
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return fail(fmt::format("cannot make {}: {}", path.parent_path().string(), ec.message()));
  for (const auto& dir : {settings_.BackupsDir(), path.parent_path()}) {
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  // A dump is smaller than its database (compressed); what it may take, and
  // a margin for the platform, must be free before it starts.
  auto size = addons_.DatabaseSize(addon);
  if (!size) return fail(size.error().message);
  auto space = std::filesystem::space(path.parent_path(), ec);
  if (ec) return fail(fmt::format("cannot read the free space of {}: {}", path.parent_path().string(), ec.message()));
  if (static_cast<int64_t>(space.available) < *size + kFreeMargin) {
    return fail(fmt::format("not enough free disk in {}: {} MB free, the database is {} MB and {} MB are kept free; "
                            "free some space (old backups go with a lower backups_keep)",
                            path.parent_path().string(), space.available >> 20, *size >> 20, kFreeMargin >> 20));
  }
  StderrOutput errors(progress);
  WriteLine(progress, fmt::format("Backing up {} ({}) to {} ...", addon.name, addon.app, BackupName(backup.id)));
  RunIO io;
  io.out = &progress;
  io.err = &errors;
  io.cancelled = cancelled;
  // pg_dump writes the file itself, in the add-on's directory mounted at
  // /dump: no copy through Docker's stream and the daemon.
  auto status = addons_.RunClient(
      addon, addon.app,
      {"pg_dump", "--format=custom", "--verbose", "--file", "/dump/" + partial.filename().string()}, io,
      path.parent_path());
  if (!status) return fail(status.error().message);
  if (*status != 0) return fail(fmt::format("pg_dump exited with status {}: {}", *status, errors.Tail()));
  int fd = ::open(partial.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(fmt::format("cannot read {}: {}", partial.string(), std::strerror(errno)));
  struct stat st {};
  int error = ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0 && ::fstat(fd, &st) == 0 ? 0 : errno;
  ::close(fd);
  if (error != 0) return fail(fmt::format("cannot write {}: {}", partial.string(), std::strerror(error)));
  const int64_t written = st.st_size;
  if (written == 0) return fail("pg_dump wrote nothing");
  std::filesystem::rename(partial, path, ec);
  if (ec) return fail(fmt::format("cannot rename {}: {}", partial.string(), ec.message()));
  if (backup.location == "s3") {
    WriteLine(progress, fmt::format("Uploading {} ({} bytes) to the bucket {} ...", BackupName(backup.id),
                                    written, settings_.backups_s3_bucket));
    auto put = S3Client(S3Of(settings_)).PutFile(S3Key(backup), path);
    std::filesystem::remove(path, ec);
    if (!put) return fail(put.error().message);
  }
  if (auto r = store_.FinishBackup(backup.id, true, written, ""); !r) return std::unexpected(r.error());
  auto done = store_.GetBackup(backup.id);
  if (!done) return std::unexpected(done.error());
  if (!*done) return Failed("the backup was not recorded");
  WriteLine(progress, fmt::format("Backup {} of {}: {} bytes.", BackupName(backup.id), addon.name, written));
  return **done;
}

namespace {

// Only a whole dump is restored or downloaded.
Result<AddonBackup> Succeeded(const AddonBackup& backup) {
  if (backup.status == "succeeded") return backup;
  return InvalidArgument(fmt::format("backup {} {}: {}", BackupName(backup.id),
                                     backup.status == "running" ? "is still running" : "failed", backup.reason));
}

}  // namespace

Result<AddonBackup> PgBackups::Find(const Addon& addon, int64_t id) {
  if (id != 0) {
    auto backup = store_.GetBackup(id);
    if (!backup) return std::unexpected(backup.error());
    if (!*backup || (*backup)->addon_id != addon.id) {
      return NotFound(fmt::format("{} has no backup {} (pg:backups lists them)", addon.name, BackupName(id)));
    }
    return Succeeded(**backup);
  }
  auto all = store_.ListBackups(addon.id);
  if (!all) return std::unexpected(all.error());
  for (const auto& b : *all) {
    if (b.status == "succeeded") return b;
  }
  return NotFound(fmt::format("{} has no backup yet; pg:backups:capture makes one", addon.name));
}

Result<AddonBackup> PgBackups::FindFormer(const std::string& app, int64_t id) {
  auto former = store_.ListFormerBackups(app);
  if (!former) return std::unexpected(former.error());
  for (const auto& b : *former) {
    if (id != 0 && b.id == id) return Succeeded(b);
    if (id == 0 && b.status == "succeeded") return b;
  }
  if (id != 0) return NotFound(fmt::format("{} has no backup {} (pg:backups {} lists them)", app, BackupName(id), app));
  return NotFound(fmt::format("{} has no database and no backup of a destroyed one; addons:create {} postgres makes one",
                              app, app));
}

Result<void> PgBackups::Restore(const Addon& addon, const AddonBackup& backup, Output& progress,
                                const std::function<bool()>& cancelled) {
  bool fetched = false;
  auto path = Local(backup, fetched);
  if (!path) return std::unexpected(path.error());
  RemoveWhenDone cleanup{*path, fetched};
  int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Failed(fmt::format("cannot read {}: {}", path->string(), std::strerror(errno)));
  auto restored = RestoreFrom(addon, fd, BackupName(backup.id), progress, cancelled);
  ::close(fd);
  return restored;
}

Result<void> PgBackups::RestoreFrom(const Addon& addon, int fd, const std::string& what, Output& progress,
                                    const std::function<bool()>& cancelled) {
  StderrOutput errors(progress);
  WriteLine(progress, fmt::format("Restoring {} into {} ...", what, addon.name));
  RunIO io;
  io.out = &progress;
  io.err = &errors;
  io.stdin_fd = fd;
  io.cancelled = cancelled;
  auto status = addons_.RunClient(addon, addon.app,
                                  {"pg_restore", "--clean", "--if-exists", "--no-owner", "--no-acl",
                                   "--single-transaction", "--exit-on-error", "--dbname", addon.db_name},
                                  io);
  if (!status) return std::unexpected(status.error());
  if (*status != 0) {
    return Failed(fmt::format("pg_restore exited with status {} and changed nothing: {}", *status, errors.Tail()));
  }
  WriteLine(progress, fmt::format("Restored {} into {}.", what, addon.name));
  return {};
}

void PgBackups::FinishInterrupted() {
  if (auto r = store_.FailInterruptedBackups(); !r) LogWarn("cannot mark interrupted backups: {}", r.error().message);
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator(settings_.BackupsDir(), ec)) {
    std::error_code dir_ec;
    for (const auto& file : std::filesystem::directory_iterator(dir.path(), dir_ec)) {
      if (file.path().extension() != ".partial") continue;
      LogInfo("removing {}, the part of a backup the daemon stopped during", file.path().string());
      std::filesystem::remove(file.path(), dir_ec);
    }
  }
  for (const auto& file : std::filesystem::directory_iterator(settings_.data_dir / "tmp", ec)) {
    std::error_code file_ec;
    if (file.path().extension() == ".pgdump") std::filesystem::remove(file.path(), file_ec);
  }
}

Result<std::filesystem::path> PgBackups::Local(const AddonBackup& backup, bool& fetched) {
  fetched = false;
  if (backup.location != "s3") return PathOf(backup);
  std::error_code ec;
  std::filesystem::create_directories(settings_.data_dir / "tmp", ec);
  auto suffix = RandomHex(8);
  if (!suffix) return std::unexpected(suffix.error());
  auto copy = settings_.data_dir / "tmp" / fmt::format("{}-{}-{}.pgdump", backup.addon, BackupName(backup.id), *suffix);
  if (auto r = S3Client(S3Of(settings_)).GetFile(S3Key(backup), copy); !r) return std::unexpected(r.error());
  fetched = true;
  return copy;
}

Result<void> PgBackups::Download(const AddonBackup& backup, Output& out) {
  bool fetched = false;
  auto local = Local(backup, fetched);
  if (!local) return std::unexpected(local.error());
  const auto path = *local;
  RemoveWhenDone cleanup{path, fetched};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Failed(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return Failed(fmt::format("cannot read {}: {}", path.string(), std::strerror(e)));
    }
    if (n == 0) break;
    out.Write(std::string_view(buf, static_cast<size_t>(n)));
  }
  ::close(fd);
  return {};
}

Result<void> PgBackups::Prune(const Addon& addon) {
  auto all = store_.ListBackups(addon.id);
  if (!all) return std::unexpected(all.error());
  int scheduled = 0, by_hand = 0;
  for (const auto& b : *all) {  // newest first
    if (b.status == "running" || b.taken_by.starts_with("addons:destroy")) continue;
    int& kept = b.taken_by == "schedule" ? scheduled : by_hand;
    if (b.status == "succeeded" && kept < settings_.backups_keep) {
      ++kept;
      continue;
    }
    if (b.location == "s3" && b.status == "succeeded") {
      if (auto r = S3Client(S3Of(settings_)).Delete(S3Key(b)); !r) return r;
    } else {
      std::error_code ec;
      std::filesystem::remove(PathOf(b), ec);
    }
    if (auto r = store_.DeleteBackup(b.id); !r) return r;
  }
  return {};
}

void PgBackups::RunSchedule(int64_t now, AppLocks& locks, const std::function<bool()>& cancelled) {
  auto addons = store_.ListAddons();
  if (!addons) return;
  const std::string today = UtcText(now, "%Y-%m-%d");
  const std::string time = UtcText(now, "%H:%M");
  for (const auto& addon : *addons) {
    if (cancelled && cancelled()) return;
    if (addon.backup_at.empty() || time < addon.backup_at) continue;
    auto backups = store_.ListBackups(addon.id);
    if (!backups) continue;
    bool done = false;
    for (const auto& b : *backups) {
      done = done || (b.taken_by == "schedule" && b.created_at.starts_with(today));
    }
    if (done || addon.state != "ready") continue;
    AppLock lock = locks.TryAcquire("addon:" + addon.name);
    if (!lock) continue;  // a change of it is under way: the next round
    NullOutput quiet;
    auto taken = Capture(addon, "schedule", quiet, cancelled);
    if (!taken) {
      LogWarn("the scheduled backup of {} failed: {}", addon.name, taken.error().message);
      continue;
    }
    LogInfo("backed up {} ({}, {} bytes)", addon.name, BackupName(taken->id), taken->size);
    if (auto r = Prune(addon); !r) LogWarn("cannot remove old backups of {}: {}", addon.name, r.error().message);
  }
}

}  // namespace ms
