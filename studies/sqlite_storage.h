// Storage in one SQLite file with Optuna's RDB layout, so that Optuna and
// optuna-dashboard open knob studies and knob continues Optuna's. WAL journal, a
// busy timeout, and BEGIN IMMEDIATE around every read-decide-write, so that many
// processes on one file never duplicate a trial number and never lose a write.
// The rules themselves are RdbStorage's; this opens the file. Open it through
// OpenStorage (storage_url.h) rather than directly.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "studies/rdb_storage.h"

namespace knob {

enum class StorageAccess {
  kCreate,  // may create the file (or database tables)
  kWrite,   // the file must exist and be writable
  kRead,    // the file must exist and be readable
};

class SqliteStorage : public RdbStorage {
 public:
  // Bad input (one line naming the file) when the file is missing, unreadable,
  // read-only for a write, not SQLite, or holds no studies; nothing is created then.
  static Result<std::unique_ptr<SqliteStorage>> Open(const std::string& path, StorageAccess access);

  // The file at the path must still be the one opened (same device and inode).
  Status CheckIntact() override;

 private:
  SqliteStorage(std::unique_ptr<SqlSession> session, std::string path, dev_t device, ino_t inode)
      : RdbStorage(std::move(session)), path_(std::move(path)), device_(device), inode_(inode) {}

  std::string path_;
  dev_t device_;
  ino_t inode_;
};

}  // namespace knob
