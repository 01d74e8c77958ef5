// What the Optuna-layout storage needs from a SQL database, so that one
// implementation of the Storage rules (rdb_storage.h) serves SQLite and
// PostgreSQL alike. A session is one connection, used by one thread. SQL text
// uses `?` placeholders; each session speaks its server's dialect where they
// differ (locking, the database clock). Failures throw SqlError, which the
// storage turns into errors at its boundary. Implemented by sqlite_storage.cc
// and postgres_storage.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace knob {

struct SqlError : std::runtime_error {
  SqlError(ErrorKind kind, const std::string& message, bool connection_lost = false)
      : std::runtime_error(message), kind(kind), connection_lost(connection_lost) {}
  Error ToError() const { return {kind, what(), {}}; }
  ErrorKind kind;
  bool connection_lost;  // the server went away: Reconnect, then the work may be redone
};

using SqlValue = std::variant<std::nullptr_t, int64_t, double, std::string>;

// One row of a result, read column by column (0-based).
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  virtual bool IsNull(int column) const = 0;
  virtual int64_t Int(int column) const = 0;
  virtual double Double(int column) const = 0;
  virtual std::string_view Text(int column) const = 0;
};

class SqlSession {
 public:
  virtual ~SqlSession() = default;
  // Runs one statement, calling `visit` for each row it returns.
  virtual void Query(const std::string& sql, const std::vector<SqlValue>& params,
                     const std::function<void(const SqlRow&)>& visit) = 0;
  void Exec(const std::string& sql, const std::vector<SqlValue>& params = {}) {
    Query(sql, params, [](const SqlRow&) {});
  }
  // Begins a transaction that keeps other writers of this study (or, without one,
  // of the whole storage) out until it ends, so that a read-decide-write inside
  // it is atomic across processes and machines.
  virtual void BeginWrite(std::optional<int64_t> study_id) = 0;
  // Begins a read-only transaction: every statement in it sees the same state.
  virtual void BeginRead() = 0;
  virtual void Commit() = 0;
  virtual void Rollback() = 0;
  // SQL for the database clock's current local time, and for the seconds from a
  // timestamp column to it.
  virtual std::string Now() const = 0;
  virtual std::string SecondsSince(const std::string& column) const = 0;
  // How messages name this storage: "storage file 'x.db'", "postgresql://u@h/db".
  virtual std::string Name() const = 0;
  // After a lost connection: connects again, retrying with backoff for a bounded
  // time; false when it gave up (or the database has no connection to lose).
  virtual bool Reconnect() { return false; }
};

// A transaction that rolls back unless committed (a write one, or with
// ForReading a read-only one).
class WriteTransaction {
 public:
  WriteTransaction(SqlSession& session, std::optional<int64_t> study_id) : session_(session) {
    session_.BeginWrite(study_id);
  }
  // A read-only transaction: `Commit` ends it.
  static WriteTransaction ForReading(SqlSession& session) { return WriteTransaction(session); }
  ~WriteTransaction() {
    if (!done_) {
      try {
        session_.Rollback();
      } catch (...) {
      }
    }
  }
  void Commit() {
    session_.Commit();
    done_ = true;
  }

 private:
  explicit WriteTransaction(SqlSession& session) : session_(session) { session_.BeginRead(); }

  SqlSession& session_;
  bool done_ = false;
};

}  // namespace knob
