#include "server/store/database.h"

#include <fmt/format.h>

#include <vector>

namespace ms {
namespace {

// Each entry moves the schema from version i to i+1. Never edit a released entry;
// append a new one.
const std::vector<std::string_view> kMigrations = {
    R"sql(
    CREATE TABLE apps (
      id            INTEGER PRIMARY KEY,
      name          TEXT NOT NULL UNIQUE,
      deploy_branch TEXT NOT NULL DEFAULT '',
      created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE ssh_keys (
      id          INTEGER PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE,
      fingerprint TEXT NOT NULL UNIQUE,
      public_key  TEXT NOT NULL,
      role        TEXT NOT NULL CHECK (role IN ('admin', 'developer')),
      created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE config_vars (
      app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      key    TEXT NOT NULL,
      value  TEXT NOT NULL,
      PRIMARY KEY (app_id, key)
    );
    CREATE TABLE deploys (
      id          INTEGER PRIMARY KEY,
      app_id      INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      commit_sha  TEXT NOT NULL,
      ref         TEXT NOT NULL,
      key_name    TEXT NOT NULL,
      status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
      message     TEXT NOT NULL DEFAULT '',
      started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
      finished_at TEXT
    );
    CREATE INDEX deploys_by_app ON deploys(app_id, id);
    CREATE TABLE releases (
      id          INTEGER PRIMARY KEY,
      app_id      INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      version     INTEGER NOT NULL,
      image       TEXT NOT NULL DEFAULT '',
      description TEXT NOT NULL DEFAULT '',
      config_json TEXT NOT NULL DEFAULT '{}',
      formation_json TEXT NOT NULL DEFAULT '{}',
      deploy_id   INTEGER REFERENCES deploys(id) ON DELETE SET NULL,
      created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
      UNIQUE (app_id, version)
    );
    )sql",
    // 2: build logs kept with each deploy.
    R"sql(
    ALTER TABLE deploys ADD COLUMN log TEXT NOT NULL DEFAULT '';
    )sql",
    // 3: buildpacks chosen with buildpacks:set/add.
    R"sql(
    CREATE TABLE app_buildpacks (
      app_id   INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      position INTEGER NOT NULL,
      url      TEXT NOT NULL,
      PRIMARY KEY (app_id, position)
    );
    )sql",
    // 4: the process formation (replicas per process type) and health checks.
    R"sql(
    CREATE TABLE formation (
      app_id   INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      type     TEXT NOT NULL,
      quantity INTEGER NOT NULL,
      PRIMARY KEY (app_id, type)
    );
    CREATE TABLE checks (
      app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
      path   TEXT NOT NULL,
      source TEXT NOT NULL DEFAULT 'user'  -- 'user' (checks:set) or 'app.json'
    );
    )sql",
    // 5: custom domains the proxy routes to an app.
    R"sql(
    CREATE TABLE domains (
      host   TEXT PRIMARY KEY,  -- lower case; "*.example.com" for a wildcard
      app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE
    );
    )sql",
    // 6: per-app access. Several keys may share a name (one person, several
    // machines), so names are no longer unique; apps have an owner (apps made
    // before this belong to the admin who set the server up) and members; every
    // change is written to the audit log.
    R"sql(
    CREATE TABLE ssh_keys_v6 (
      id          INTEGER PRIMARY KEY,
      name        TEXT NOT NULL,
      fingerprint TEXT NOT NULL UNIQUE,
      public_key  TEXT NOT NULL,
      role        TEXT NOT NULL CHECK (role IN ('admin', 'developer')),
      created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    INSERT INTO ssh_keys_v6 SELECT id, name, fingerprint, public_key, role, created_at FROM ssh_keys;
    DROP TABLE ssh_keys;
    ALTER TABLE ssh_keys_v6 RENAME TO ssh_keys;
    CREATE INDEX ssh_keys_by_name ON ssh_keys(name);
    ALTER TABLE apps ADD COLUMN owner TEXT NOT NULL DEFAULT '';
    UPDATE apps SET owner = COALESCE(
      (SELECT name FROM ssh_keys WHERE role = 'admin' ORDER BY id LIMIT 1), '');
    CREATE TABLE app_members (
      app_id   INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      name     TEXT NOT NULL,
      added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
      PRIMARY KEY (app_id, name)
    );
    CREATE INDEX app_members_by_name ON app_members(name);
    CREATE TABLE audit_log (
      id      INTEGER PRIMARY KEY,
      at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
      actor   TEXT NOT NULL,
      address TEXT NOT NULL DEFAULT '',
      app_id  INTEGER,                    -- no foreign key: the record outlives the app
      app     TEXT NOT NULL DEFAULT '',   -- the app's name then
      action  TEXT NOT NULL,              -- the command: "config:set", "deploy" ...
      detail  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_log_by_app ON audit_log(app_id, id);
    )sql",
    // 7: process sizes chosen with ps:resize (types without a row run at the
    // default_size setting).
    R"sql(
    CREATE TABLE process_sizes (
      app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      type   TEXT NOT NULL,
      size   TEXT NOT NULL,
      PRIMARY KEY (app_id, type)
    );
    )sql",
    // 8: apps destroyed whose services, network, images and repository are
    // still to be removed (the daemon may stop half way; it finishes at start).
    R"sql(
    CREATE TABLE destroyed_apps (
      name     TEXT PRIMARY KEY,
      versions TEXT NOT NULL DEFAULT ''  -- its releases' versions, "1,2,3": the images to remove
    );
    )sql",
    // 9: certificates the proxy serves over https. An app's own (certs:add),
    // one per app; ACME's, one per host (APP.DOMAIN, each exact custom domain,
    // and the platform's own mothership.DOMAIN, whose app_id is NULL) with the
    // manager's state for it; the admin's *.DOMAIN one. Each key and chain is
    // a file under DATA_DIR/proxy/certs; the row says what it holds.
    R"sql(
    CREATE TABLE certs (
      app_id    INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
      names     TEXT NOT NULL,     -- the certificate's DNS names, space-separated
      issuer    TEXT NOT NULL,
      key_type  TEXT NOT NULL,
      not_before INTEGER NOT NULL, -- Unix seconds
      not_after INTEGER NOT NULL,
      file      TEXT NOT NULL,     -- its name under DATA_DIR/proxy/certs
      added_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE acme_hosts (
      host         TEXT PRIMARY KEY,
      app_id       INTEGER REFERENCES apps(id) ON DELETE CASCADE,
      status       TEXT NOT NULL DEFAULT 'waiting',  -- waiting, issued, failing
      last_error   TEXT NOT NULL DEFAULT '',
      failures     INTEGER NOT NULL DEFAULT 0,       -- in a row
      next_attempt INTEGER NOT NULL DEFAULT 0,       -- Unix seconds
      issuer       TEXT NOT NULL DEFAULT '',         -- the certificate issued last ('' file: none yet)
      key_type     TEXT NOT NULL DEFAULT '',
      not_before   INTEGER NOT NULL DEFAULT 0,
      not_after    INTEGER NOT NULL DEFAULT 0,
      file         TEXT NOT NULL DEFAULT '',
      issued_at    TEXT NOT NULL DEFAULT ''
    );
    -- certs:auto:disable: ACME is on for every app not listed here.
    CREATE TABLE cert_auto_off (
      app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE
    );
    -- The admin's certificate for *.DOMAIN (certs:add --wildcard): one row at most.
    CREATE TABLE wildcard_cert (
      id        INTEGER PRIMARY KEY CHECK (id = 1),
      names     TEXT NOT NULL,
      issuer    TEXT NOT NULL,
      key_type  TEXT NOT NULL,
      not_after INTEGER NOT NULL,
      file      TEXT NOT NULL,
      added_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    -- http:redirect: the app's http requests go to https once it has a certificate.
    CREATE TABLE https_redirects (
      app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE
    );
    )sql",
    // 10: API tokens (tokens:create). A token acts as the key name that made
    // it, with that name's role and app access as they are when it is used;
    // only its SHA-256 is kept. Names are unique per key name.
    R"sql(
    CREATE TABLE api_tokens (
      id           INTEGER PRIMARY KEY,
      key_name     TEXT NOT NULL,
      name         TEXT NOT NULL,
      hash         TEXT NOT NULL UNIQUE,    -- hex SHA-256 of the token
      created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
      last_used_at TEXT NOT NULL DEFAULT '',
      expires_at   INTEGER NOT NULL DEFAULT 0,  -- Unix seconds; 0: never
      UNIQUE (key_name, name)
    );
    )sql",
    // 11: the dashboard's sign-ins. A 'link' is a one-time sign-in link
    // (`dashboard`, bound to the ssh key that asked for it); a 'session' is a
    // signed-in browser's cookie, bound to that key or to the API token it
    // signed in with: it ends when that key or token is removed. Only the
    // SHA-256 of a link's code or a cookie is kept.
    R"sql(
    CREATE TABLE web_sessions (
      id              INTEGER PRIMARY KEY,
      hash            TEXT NOT NULL UNIQUE,
      kind            TEXT NOT NULL CHECK (kind IN ('link', 'session')),
      key_name        TEXT NOT NULL,
      key_fingerprint TEXT NOT NULL DEFAULT '',  -- signed in by a key's link
      token_id        INTEGER NOT NULL DEFAULT 0,  -- signed in with an API token
      csrf            TEXT NOT NULL DEFAULT '',   -- what changes must echo (X-CSRF-Token)
      created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
      expires_at      INTEGER NOT NULL            -- Unix seconds
    );
    )sql",
    // 12: add-ons (addons:create): a Postgres per app, its attachments (the
    // apps that get its URL as NAME_URL) and its backups. A backup row names
    // its add-on by id and outlives it (addons:destroy keeps a last one).
    R"sql(
    CREATE TABLE addons (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,          -- never reused: backups name it
      name        TEXT NOT NULL UNIQUE,
      kind        TEXT NOT NULL,                          -- "postgres"
      app_id      INTEGER NOT NULL REFERENCES apps(id),   -- the app it was made for
      node_id     TEXT NOT NULL DEFAULT '',               -- the Swarm node its volume is on
      db_name     TEXT NOT NULL,
      db_user     TEXT NOT NULL,
      db_password TEXT NOT NULL,
      backup_at   TEXT NOT NULL DEFAULT '',               -- daily backups at "HH:MM" UTC; '' none
      -- creating: until its role and database exist; destroying: from the
      -- last backup on. The daemon finishes or undoes either at start.
      state       TEXT NOT NULL DEFAULT 'creating' CHECK (state IN ('creating', 'ready', 'destroying')),
      created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE addon_attachments (
      addon_id INTEGER NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
      app_id   INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      name     TEXT NOT NULL,  -- the config var is NAME_URL ("DATABASE")
      PRIMARY KEY (addon_id, app_id),
      UNIQUE (app_id, name)
    );
    CREATE TABLE addon_backups (
      id          INTEGER PRIMARY KEY,
      addon_id    INTEGER NOT NULL,    -- its add-on's id (a name can be taken again)
      addon       TEXT NOT NULL,
      app         TEXT NOT NULL,       -- the add-on's app when it was taken
      status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
      reason      TEXT NOT NULL DEFAULT '',   -- why it failed
      size        INTEGER NOT NULL DEFAULT 0,
      location    TEXT NOT NULL DEFAULT '',   -- where the dump is: "local" or "s3"
      taken_by    TEXT NOT NULL DEFAULT '',   -- "alice", "schedule", "addons:destroy"
      created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
      finished_at TEXT NOT NULL DEFAULT ''
    );
    )sql",
    // 13: the Redis add-on's size and eviction policy; storage mounts
    // (storage:mount): named volumes in an app's processes.
    R"sql(
    ALTER TABLE addons ADD COLUMN size_mb INTEGER NOT NULL DEFAULT 0;  -- redis: maxmemory
    ALTER TABLE addons ADD COLUMN policy TEXT NOT NULL DEFAULT '';     -- redis: maxmemory-policy
    CREATE TABLE storage_mounts (
      app_id     INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
      name       TEXT NOT NULL,
      path       TEXT NOT NULL,
      node_id    TEXT NOT NULL,   -- the Swarm node its volume is on
      created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
      PRIMARY KEY (app_id, name),
      UNIQUE (app_id, path)
    );
    )sql",
    // 14: the app a backup belongs to, by id: its members reach the backups
    // of its destroyed add-ons (pg:backups). An app destroyed leaves them to
    // the admins (NULL: an app made later may get its id).
    R"sql(
    ALTER TABLE addon_backups ADD COLUMN app_id INTEGER REFERENCES apps(id) ON DELETE SET NULL;
    UPDATE addon_backups SET app_id = (SELECT app_id FROM addons WHERE addons.id = addon_backups.addon_id);
    )sql",
};

}  // namespace

Statement& Statement::Bind(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (rc == SQLITE_CONSTRAINT) {
    return Fail(ErrorCode::kAlreadyExists, sqlite3_errmsg(db_));
  }
  if (rc == SQLITE_BUSY) return Busy(fmt::format("database is busy: {}", sqlite3_errmsg(db_)));
  return Failed(fmt::format("database error: {}", sqlite3_errmsg(db_)));
}

Result<void> Statement::Run() {
  for (;;) {
    auto r = Step();
    if (!r) return std::unexpected(r.error());
    if (!*r) return {};
  }
}

std::string Statement::Text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}
int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<Database>> Database::Open(const std::filesystem::path& path, int version) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  std::unique_ptr<Database> db(new Database(raw));
  if (rc != SQLITE_OK) {
    return Failed(fmt::format("cannot open database {}: {}", path.string(),
                              raw ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(raw, 5000);
  for (auto pragma : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON",
                      "PRAGMA synchronous=NORMAL"}) {
    if (auto r = db->Exec(pragma); !r) return std::unexpected(r.error());
  }
  if (auto r = db->Migrate(version < 0 ? LatestSchemaVersion() : version); !r) return std::unexpected(r.error());
  return db;
}

Database::~Database() { sqlite3_close_v2(db_); }

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return Failed(fmt::format("database error: {}", sqlite3_errmsg(db_)));
  }
  return Statement(db_, stmt);
}

Result<void> Database::Exec(std::string_view sql) {
  std::string copy(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, copy.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown error";
    sqlite3_free(err);
    return Failed(fmt::format("database error: {}", message));
  }
  return {};
}

int Database::LatestSchemaVersion() { return static_cast<int>(kMigrations.size()); }

int Database::SchemaVersion() {
  auto lock = Lock();
  auto stmt = Prepare("PRAGMA user_version");
  if (!stmt || !stmt->Step().value_or(false)) return -1;
  return static_cast<int>(stmt->Int(0));
}

Result<void> Database::Migrate(int up_to) {
  auto lock = Lock();
  int version = SchemaVersion();
  if (version < 0) return Failed("cannot read the database schema version");
  if (version > static_cast<int>(kMigrations.size())) {
    return Failed(fmt::format(
        "the database has schema version {} but this mothership knows only up to {}; "
        "run a newer mothership or restore a backup",
        version, kMigrations.size()));
  }
  for (size_t v = version; v < kMigrations.size() && static_cast<int>(v) < up_to; ++v) {
    Transaction tx(*this);
    if (auto r = tx.Begin(); !r) return r;
    if (auto r = Exec(kMigrations[v]); !r) return r;
    if (auto r = Exec(fmt::format("PRAGMA user_version = {}", v + 1)); !r) return r;
    if (auto r = tx.Commit(); !r) return r;
  }
  return {};
}

}  // namespace ms
