#include "certctl_target/sqlite.hpp"

#include <sqlite3.h>

namespace certctl_target::sql {

namespace {
[[noreturn]] void fail(sqlite3* db, int rc) {
  throw sqlite_error(rc, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}
}  // namespace

database::database(const std::string& path) {
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    sqlite_error error(rc, db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    throw error;
  }
  sqlite3_extended_result_codes(db_, 1);
  // Another process (a reader, a backup) may hold the lock briefly; wait rather than fail.
  sqlite3_busy_timeout(db_, 5000);
}

database::~database() {
  sqlite3_close_v2(db_);
}

void database::exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    const std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw sqlite_error(rc, text);
  }
}

bool database::read_only() const {
  return sqlite3_db_readonly(db_, "main") == 1;
}

statement::statement(const database& db, std::string_view sql) : db_(db.handle()) {
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc);
}

statement::~statement() {
  sqlite3_finalize(stmt_);
}

statement& statement::bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(db_, rc);
  return *this;
}

statement& statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) fail(db_, rc);
  return *this;
}

bool statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The error is reported by step(); reset() keeps the statement usable afterwards.
  sqlite_error error(rc, sqlite3_errmsg(db_));
  sqlite3_reset(stmt_);
  throw error;
}

void statement::run() {
  while (step()) {
  }
  reset();
}

void statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string_view statement::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::int64_t statement::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

transaction::transaction(database& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

transaction::~transaction() {
  if (done_) return;
  // A failed statement may already have rolled back (e.g. SQLITE_FULL): only roll back an open one.
  if (sqlite3_get_autocommit(db_.handle()) == 0)
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace certctl_target::sql
