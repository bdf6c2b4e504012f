#pragma once
// Database: the one SQLite connection of a process, in WAL mode with foreign keys
// on, with the schema brought to the newest version by numbered migrations
// (PRAGMA user_version). Statement is a prepared statement with typed binds.
// A Database is used under its own mutex (Lock()); Statements are used only while
// that lock is held.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "server/common/result.h"

namespace ms {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Statement& Bind(int index, std::string_view value);
  Statement& Bind(int index, int64_t value);
  Statement& BindNull(int index);

  // Steps once: true when a row is available, false when done; errors as Result.
  Result<bool> Step();
  // Steps to completion, for statements that return no rows.
  Result<void> Run();

  std::string Text(int column) const;
  int64_t Int(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens (creating when missing) and migrates, to the latest version or to
  // `version` (a test of a migration makes the database as it was before it).
  // Fails with the SQLite message.
  static Result<std::unique_ptr<Database>> Open(const std::filesystem::path& path, int version = -1);
  ~Database();

  std::unique_lock<std::recursive_mutex> Lock() { return std::unique_lock(mu_); }
  Result<Statement> Prepare(std::string_view sql);
  Result<void> Exec(std::string_view sql);
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  int SchemaVersion();
  // The version a database has after Open.
  static int LatestSchemaVersion();

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  Result<void> Migrate(int up_to);

  sqlite3* db_;
  std::recursive_mutex mu_;
};

// Runs Exec("BEGIN IMMEDIATE") and rolls back unless Commit() is called.
class Transaction {
 public:
  explicit Transaction(Database& db) : db_(db) {}
  Result<void> Begin() { return db_.Exec("BEGIN IMMEDIATE"); }
  Result<void> Commit() {
    auto r = db_.Exec("COMMIT");
    if (r) done_ = true;
    return r;
  }
  ~Transaction() {
    if (!done_) (void)db_.Exec("ROLLBACK");
  }

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace ms
