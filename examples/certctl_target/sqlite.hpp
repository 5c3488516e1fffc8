// A thin RAII layer over the SQLite C API: a connection, prepared statements and a
// transaction guard. Errors become sqlite_error carrying SQLite's own message.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace certctl_target::sql {

class sqlite_error : public std::runtime_error {
 public:
  sqlite_error(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  // The primary result code (SQLITE_CONSTRAINT, SQLITE_BUSY, ...).
  int code() const noexcept { return code_ & 0xff; }

 private:
  int code_;
};

class database {
 public:
  // Opens (creating if needed) a database file for reading and writing.
  explicit database(const std::string& path);
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // Runs one or more statements that return no rows.
  void exec(const char* sql);
  bool read_only() const;
  sqlite3* handle() const noexcept { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// A prepared statement; reset() makes it reusable, and the destructor finalizes it.
class statement {
 public:
  statement(const database& db, std::string_view sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  // Parameters are numbered from 1, as in SQLite. Text is copied by SQLite.
  statement& bind(int index, std::string_view text);
  statement& bind(int index, std::int64_t value);

  // Advances to the next row: true when a row is available, false when done.
  bool step();
  // Runs a statement that returns no rows, then resets it.
  void run();
  void reset();

  std::string_view text(int column) const;
  std::int64_t integer(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction (taking the write lock at once, so the transaction never
// fails half-way for lack of it); ROLLBACK on destruction unless commit() was called.
class transaction {
 public:
  explicit transaction(database& db);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();

 private:
  database& db_;
  bool done_ = false;
};

}  // namespace certctl_target::sql
