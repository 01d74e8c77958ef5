// Storage on a PostgreSQL server in Optuna's RDB layout (the tables, enum types
// and constraints Optuna's SQLAlchemy models create there), for studies shared by
// `knob run` workers on many machines and opened by Optuna with the same
// postgresql:// URL. Each write transaction locks its study's row (SELECT ... FOR
// UPDATE), so trial numbers, grid points and the budget are decided by one worker
// at a time; heartbeats use the server's clock. Open it through OpenStorage.
#pragma once

#include <memory>
#include <string>

#include "studies/rdb_storage.h"
#include "studies/sqlite_storage.h"

namespace knob {

class PostgresStorage : public RdbStorage {
 public:
  // Bad input (one line, the password masked) for a malformed URL, a server that
  // cannot be reached, refused credentials, or (unless creating) a database
  // without Optuna's tables. kCreate creates the tables when missing.
  static Result<std::unique_ptr<PostgresStorage>> Open(const std::string& url, StorageAccess access);

 private:
  using RdbStorage::RdbStorage;
};

// `url` with any password replaced by ***.
std::string MaskPassword(const std::string& url);

}  // namespace knob
