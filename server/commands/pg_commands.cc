// pg:* — an app's Postgres (its DATABASE add-on): psql, info, a new password,
// and backups (server/addons/pg_backups.h).

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <optional>

#include <nlohmann/json.hpp>

#include "server/addons/addon_changes.h"
#include "server/addons/addons.h"
#include "server/addons/pg_backups.h"
#include "server/addons/postgres_service.h"
#include "server/apps/release_changes.h"
#include "server/commands/command.h"
#include "server/commands/table.h"
#include "server/common/json.h"
#include "server/common/random.h"

namespace ms {
namespace {

struct Database {
  Addons* addons;
  Addon addon;
};

Result<Database> NeedDatabase(CommandContext& ctx, const std::string& app) {
  if (!ctx.services.engine) {
    return Failed("this server records deploys only (deploy_step: record); add-ons need deploy_step: build");
  }
  auto addon = DatabaseOf(ctx.services.store, app);
  if (!addon) return std::unexpected(addon.error());
  return Database{&ctx.services.engine->addons, *addon};
}

// A whole number of psql's output; nullopt when it is not one.
std::optional<int64_t> Number(const std::string& text) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

Result<void> PgInfo(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto db = NeedDatabase(ctx, app);
  if (!db) return std::unexpected(db.error());
  // As the app's own role, on its network: it reads its own database, never
  // as postgres in a database its owner shapes.
  std::string answer, errors;
  LambdaOutput out([&](std::string_view data) {
    if (answer.size() < 4096) answer.append(data);
  });
  LambdaOutput err([&](std::string_view data) {
    if (errors.size() < 4096) errors.append(data);
  });
  RunIO io;
  io.out = &out;
  io.err = &err;
  io.cancelled = ctx.cancelled;
  auto status = db->addons->RunClient(
      db->addon, app,
      {"psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c",
       "SELECT pg_catalog.current_setting('server_version'), pg_catalog.pg_database_size(pg_catalog.current_database()), "
       "pg_catalog.pg_size_pretty(pg_catalog.pg_database_size(pg_catalog.current_database())), "
       "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity WHERE datname = pg_catalog.current_database()), "
       "pg_catalog.current_setting('max_connections'), "
       "(SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_user_tables)"},
      io);
  if (!status) return std::unexpected(status.error());
  if (*status != 0) return Failed(fmt::format("Postgres of {} did not answer: {}", db->addon.name, errors));
  std::vector<std::string> f;
  std::string line = answer.substr(0, answer.find('\n'));
  for (size_t start = 0;;) {
    size_t bar = line.find('|', start);
    f.push_back(line.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  std::optional<int64_t> size, connections, max_connections, tables;
  if (f.size() == 6) {
    size = Number(f[1]), connections = Number(f[3]), max_connections = Number(f[4]), tables = Number(f[5]);
  }
  if (!size || !connections || !max_connections || !tables) {
    return Failed(fmt::format("Postgres answered '{}', not the figures asked for", line.substr(0, 200)));
  }
  if (ctx.json) {
    ctx.out.Write(JsonLine({{"addon", db->addon.name}, {"version", f[0]}, {"size_bytes", *size},
                            {"connections", *connections}, {"max_connections", *max_connections},
                            {"tables", *tables}}));
    return {};
  }
  ctx.out.Write(fmt::format("Add-on:      {}\nVersion:     PostgreSQL {}\nSize:        {}\nConnections: {} of {}\n"
                            "Tables:      {}\nDatabase:    {} (user {})\n",
                            db->addon.name, f[0], f[2], *connections, *max_connections, *tables, db->addon.db_name,
                            db->addon.db_user));
  return {};
}

// Changes of the add-on itself (its password, its data) are for its own app's
// owner, not for the apps it is attached to.
Result<void> NeedOwnApp(const Addon& addon, const std::string& app) {
  if (addon.app == app) return {};
  return PermissionDenied(fmt::format("{} belongs to {}: its owner runs this there (it is attached to {})",
                                      addon.name, addon.app, app));
}

Result<void> PgPsql(CommandContext& ctx, const Args& args) {
  auto db = NeedDatabase(ctx, args.positional[0]);
  if (!db) return std::unexpected(db.error());
  RunIO io;
  io.tty = ctx.pty;
  io.stdin_fd = ctx.stdin_fd;
  io.out = &ctx.out;
  io.err = &ctx.err;
  io.cancelled = ctx.cancelled;
  std::vector<std::string> argv = {"psql", "-X"};
  // SQL on stdin: stop at the first error, and say so in the exit status.
  if (!ctx.pty) argv.insert(argv.end(), {"-v", "ON_ERROR_STOP=1"});
  auto code = db->addons->RunClient(db->addon, args.positional[0], argv, io);
  if (!code) return std::unexpected(code.error());
  ctx.exit_status = *code;
  return {};
}

Result<void> PgRotate(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto db = NeedDatabase(ctx, app);
  if (!db) return std::unexpected(db.error());
  if (auto r = NeedOwnApp(db->addon, app); !r) return r;
  auto lock = LockAddon(ctx.services, db->addon.name);
  if (!lock) return std::unexpected(lock.error());
  auto password = RandomHex(24);
  if (!password) return std::unexpected(password.error());
  if (auto r = db->addons->AdminSql(db->addon,
                                    fmt::format("ALTER ROLE \"{}\" PASSWORD '{}'", db->addon.db_user, *password));
      !r) {
    return std::unexpected(r.error());
  }
  if (auto r = ctx.services.store.SetAddonPassword(db->addon.name, *password); !r) return r;
  Addon rotated = db->addon;
  rotated.db_password = *password;
  auto attachments = ctx.services.store.AttachmentsOf(rotated.name);
  if (!attachments) return std::unexpected(attachments.error());
  std::vector<std::string> released;
  for (const auto& at : *attachments) {
    auto config = ctx.services.store.GetConfig(at.app);
    if (!config) return std::unexpected(config.error());
    ConfigVars next = *config;
    next[at.name + "_URL"] = DatabaseUrl(rotated);
    auto release = ChangeConfig(ctx.services, at.app, next,
                                fmt::format("Rotate {} credentials by {}", rotated.name, ctx.caller.key_name),
                                ctx.json ? ctx.err : ctx.out, ctx.cancelled);
    if (!release) {
      return Failed(fmt::format("the password of {} changed, but {} could not get its new {}_URL: {}; run "
                                "pg:credentials:rotate {} again",
                                rotated.name, at.app, at.name, release.error().message, app));
    }
    released.push_back(*release ? fmt::format("{} v{}", at.app, *release) : at.app);
  }
  Audit(ctx, app, rotated.name);
  ctx.out.Write(fmt::format("{} has a new password; released {}.\n", rotated.name, fmt::join(released, ", ")));
  return {};
}

nlohmann::json BackupJson(const AddonBackup& b, bool destroyed) {
  return {{"id", BackupName(b.id)}, {"addon", b.addon},         {"addon_destroyed", destroyed},
          {"status", b.status},     {"reason", b.reason},       {"size", b.size},
          {"location", b.location}, {"taken_by", b.taken_by},   {"created_at", b.created_at},
          {"finished_at", b.finished_at}};
}

std::string BackupStatus(const AddonBackup& b) { return b.status == "failed" ? "failed: " + b.reason : b.status; }

// The app's database's backups, then those of its destroyed add-ons (the
// last one each addons:destroy kept): restored into its database now with
// pg:backups:restore, downloaded with pg:backups:download, by their ids.
Result<void> PgBackupsList(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto addon = DatabaseOf(ctx.services.store, app);
  if (!addon && addon.error().code != ErrorCode::kNotFound) return std::unexpected(addon.error());
  auto former = ctx.services.store.ListFormerBackups(app);
  if (!former) return std::unexpected(former.error());
  if (!addon && former->empty()) return std::unexpected(addon.error());
  std::vector<AddonBackup> current;
  if (addon) {
    auto backups = ctx.services.store.ListBackups(addon->id);
    if (!backups) return std::unexpected(backups.error());
    current = std::move(*backups);
  }
  if (ctx.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& b : current) list.push_back(BackupJson(b, false));
    for (const auto& b : *former) list.push_back(BackupJson(b, true));
    ctx.out.Write(JsonLine(list));
    return {};
  }
  std::string text;
  if (addon) {
    const std::string schedule =
        addon->backup_at.empty()
            ? fmt::format("No daily backups (pg:backups:schedule {} --at HH:MM).\n", app)
            : fmt::format("Daily backups at {} UTC, the last {} kept.\n", addon->backup_at,
                          ctx.services.settings.backups_keep);
    if (current.empty()) {
      text = fmt::format("{} has no backups yet; pg:backups:capture {} makes one.\n{}", addon->name, app, schedule);
    } else {
      std::vector<std::vector<std::string>> rows;
      for (const auto& b : current) {
        rows.push_back({BackupName(b.id), b.created_at, fmt::format("{}", b.size), BackupStatus(b), b.taken_by});
      }
      text = FormatTable({"ID", "TAKEN", "BYTES", "STATUS", "BY"}, rows) + schedule;
    }
  }
  if (!former->empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& b : *former) {
      rows.push_back(
          {BackupName(b.id), b.addon, b.created_at, fmt::format("{}", b.size), BackupStatus(b), b.taken_by});
    }
    text += fmt::format(
        "{}Backups of destroyed add-ons of {} ({}pg:backups:restore {} ID --confirm {} puts one into its database):\n",
        addon ? "\n" : "", app, addon ? "" : fmt::format("it has no database now: addons:create {} postgres, then ", app),
        app, app);
    text += FormatTable({"ID", "ADD-ON", "TAKEN", "BYTES", "STATUS", "BY"}, rows);
  }
  ctx.out.Write(text);
  return {};
}

Result<void> PgBackupsCapture(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto db = NeedDatabase(ctx, app);
  if (!db) return std::unexpected(db.error());
  auto lock = LockAddon(ctx.services, db->addon.name);
  if (!lock) return std::unexpected(lock.error());
  PgBackups backups(ctx.services.settings, ctx.services.store, *db->addons);
  Output& progress = ctx.json ? ctx.err : ctx.out;
  auto backup = backups.Capture(db->addon, ctx.caller.key_name, progress, ctx.cancelled);
  if (!backup) return std::unexpected(backup.error());
  if (auto r = backups.Prune(db->addon); !r) {
    progress.Write(fmt::format("warning: cannot remove older backups: {}\n", r.error().message));
  }
  Audit(ctx, app, BackupName(backup->id));
  if (ctx.json) ctx.out.Write(JsonLine({{"id", BackupName(backup->id)}, {"size", backup->size}}));
  return {};
}

// The backup named by args.positional[1] (default: the database's newest that
// succeeded): the app's database's (addon; null when it has none) or one of
// the app's destroyed add-ons'. Never a destroyed add-on of another app, even
// one whose database this app has attached.
Result<AddonBackup> ChosenBackup(PgBackups& backups, const Addon* addon, const std::string& app, const Args& args) {
  int64_t id = 0;
  if (args.positional.size() > 1) {
    auto parsed = ParseBackupId(args.positional[1]);
    if (!parsed) return std::unexpected(parsed.error());
    id = *parsed;
  }
  if (!addon) return backups.FindFormer(app, id);
  auto found = backups.Find(*addon, id);
  if (found || id == 0 || found.error().code != ErrorCode::kNotFound) return found;
  auto former = backups.FindFormer(app, id);
  if (former || former.error().code != ErrorCode::kNotFound) return former;
  return found;
}

Result<void> PgBackupsDownload(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto db = NeedDatabase(ctx, app);
  // With no database now, a backup of a destroyed one.
  if (!db && (db.error().code != ErrorCode::kNotFound || !ctx.services.engine)) return std::unexpected(db.error());
  PgBackups backups(ctx.services.settings, ctx.services.store, ctx.services.engine->addons);
  auto backup = ChosenBackup(backups, db ? &db->addon : nullptr, app, args);
  if (!backup) return std::unexpected(backup.error());
  return backups.Download(*backup, ctx.out);
}

Result<void> PgBackupsRestore(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  if (args.Option("--confirm") != app) {
    return InvalidArgument(fmt::format(
        "this replaces what the database of {} holds with the backup; run again with --confirm {}", app, app));
  }
  auto db = NeedDatabase(ctx, app);
  if (!db) return std::unexpected(db.error());
  if (auto r = NeedOwnApp(db->addon, app); !r) return r;
  auto lock = LockAddon(ctx.services, db->addon.name);
  if (!lock) return std::unexpected(lock.error());
  PgBackups backups(ctx.services.settings, ctx.services.store, *db->addons);
  Output& progress = ctx.json ? ctx.err : ctx.out;
  if (args.positional.size() > 1 && args.positional[1] == "-") {
    // A dump on stdin: pg_restore reads it as it comes; one cut short or not
    // a dump fails, and its single transaction changes nothing.
    if (ctx.stdin_fd < 0) return InvalidArgument("give the dump on stdin: pg:backups:restore APP - --confirm APP < FILE");
    if (auto r = backups.RestoreFrom(db->addon, ctx.stdin_fd, "the dump from stdin", progress, ctx.cancelled); !r) {
      return r;
    }
    Audit(ctx, app, "a dump from stdin");
    return {};
  }
  auto backup = ChosenBackup(backups, &db->addon, app, args);
  if (!backup) return std::unexpected(backup.error());
  if (auto r = backups.Restore(db->addon, *backup, progress, ctx.cancelled); !r) return r;
  Audit(ctx, app, BackupName(backup->id));
  return {};
}

// "HH:MM" of a 24-hour clock.
bool IsTimeOfDay(const std::string& at) {
  return at.size() == 5 && at[2] == ':' && std::isdigit(static_cast<unsigned char>(at[0])) &&
         std::isdigit(static_cast<unsigned char>(at[1])) && std::isdigit(static_cast<unsigned char>(at[3])) &&
         std::isdigit(static_cast<unsigned char>(at[4])) && at.substr(0, 2) < "24" && at.substr(3, 2) < "60";
}

Result<void> PgBackupsSchedule(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  const std::string at = args.Option("--at");
  if (!IsTimeOfDay(at)) {
    return InvalidArgument(fmt::format("'{}' is not a time of day: give --at HH:MM (UTC, 00:00 to 23:59)",
                                       at.substr(0, 32)));
  }
  auto addon = DatabaseOf(ctx.services.store, app);
  if (!addon) return std::unexpected(addon.error());
  if (auto r = ctx.services.store.SetBackupSchedule(addon->name, at); !r) return r;
  Audit(ctx, app, fmt::format("{} at {}", addon->name, at));
  ctx.out.Write(fmt::format("{} is backed up every day at {} UTC; the last {} are kept.\n", addon->name, at,
                            ctx.services.settings.backups_keep));
  return {};
}

Result<void> PgBackupsUnschedule(CommandContext& ctx, const Args& args) {
  const std::string& app = args.positional[0];
  auto addon = DatabaseOf(ctx.services.store, app);
  if (!addon) return std::unexpected(addon.error());
  if (auto r = ctx.services.store.SetBackupSchedule(addon->name, ""); !r) return r;
  Audit(ctx, app, addon->name);
  ctx.out.Write(fmt::format("{} has no daily backups now{}.\n", addon->name,
                            addon->backup_at.empty() ? " (it had none)" : ""));
  return {};
}

const HandlerEntry kHandlers[] = {
    {"pg:info", PgInfo},
    {"pg:psql", PgPsql},
    {"pg:credentials:rotate", PgRotate},
    {"pg:backups", PgBackupsList},
    {"pg:backups:capture", PgBackupsCapture},
    {"pg:backups:download", PgBackupsDownload},
    {"pg:backups:restore", PgBackupsRestore},
    {"pg:backups:schedule", PgBackupsSchedule},
    {"pg:backups:unschedule", PgBackupsUnschedule},
};

}  // namespace

std::span<const HandlerEntry> PgHandlers() { return kHandlers; }

}  // namespace ms
