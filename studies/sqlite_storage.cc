#include "studies/sqlite_storage.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "studies/sqlite_schema.h"

namespace knob {
namespace {

// How long a write waits for another process's lock before giving up; tests
// shorten it with $KNOB_SQLITE_BUSY_TIMEOUT_MS.
int BusyTimeoutMs() {
  const char* text = std::getenv("KNOB_SQLITE_BUSY_TIMEOUT_MS");
  int ms = text ? std::atoi(text) : 0;
  return ms > 0 ? ms : 60000;
}

// File permission checks that also hold for root: a file with no write bit is
// treated as read-only and one with no read bit as unreadable, whoever asks.
bool Readable(const std::string& path, const struct stat& st) {
  return access(path.c_str(), R_OK) == 0 && (geteuid() != 0 || (st.st_mode & 0444));
}
bool Writable(const std::string& path, const struct stat& st) {
  return access(path.c_str(), W_OK) == 0 && (geteuid() != 0 || (st.st_mode & 0222));
}

Status CheckFile(const std::string& path, StorageAccess access) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (access != StorageAccess::kCreate)
      return Error::BadInput("storage file '" + path + "' does not exist");
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent))
      return Error::BadInput("storage folder '" + parent.string() + "' does not exist");
    return {};
  }
  if (S_ISDIR(st.st_mode)) return Error::BadInput("storage '" + path + "' is a folder, not a file");
  // SQLite would block opening a pipe, and cannot keep a database in a device or socket.
  if (!S_ISREG(st.st_mode))
    return Error::BadInput("storage '" + path + "' is not a regular file (a pipe, device or socket)");
  if (!Readable(path, st)) return Error::BadInput("storage file '" + path + "' is not readable");
  if (access != StorageAccess::kRead && !Writable(path, st))
    return Error::BadInput("storage file '" + path + "' is read-only");
  return {};
}

Error TranslateException(const std::string& path, const SQLite::Exception& e) {
  int code = e.getErrorCode() & 0xff;
  if (code == SQLITE_NOTADB)
    return Error::BadInput("storage file '" + path + "' is not an SQLite database");
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    return Error::BadInput("storage file '" + path + "' is locked by another process (waited " +
                           std::to_string(BusyTimeoutMs()) + " ms)");
  if (code == SQLITE_READONLY)
    return Error::BadInput("storage file '" + path + "' is read-only");
  if (code == SQLITE_CANTOPEN || code == SQLITE_PERM || code == SQLITE_AUTH)
    return Error::BadInput("storage file '" + path + "' cannot be opened: " + e.what());
  if (code == SQLITE_CORRUPT)
    return Error::BadInput("storage file '" + path + "' is corrupt: " + e.what());
  return Error::Runtime("storage file '" + path + "': " + e.what());
}

class SqliteRow : public SqlRow {
 public:
  explicit SqliteRow(SQLite::Statement& statement) : statement_(statement) {}
  bool IsNull(int column) const override { return statement_.isColumnNull(column); }
  int64_t Int(int column) const override { return statement_.getColumn(column).getInt64(); }
  double Double(int column) const override { return statement_.getColumn(column).getDouble(); }
  std::string_view Text(int column) const override {
    SQLite::Column c = statement_.getColumn(column);
    return {c.getText(), static_cast<size_t>(c.getBytes())};
  }

 private:
  SQLite::Statement& statement_;
};

class SqliteSession : public SqlSession {
 public:
  SqliteSession(std::string path, std::unique_ptr<SQLite::Database> db)
      : path_(std::move(path)), db_(std::move(db)) {}

  void Query(const std::string& sql, const std::vector<SqlValue>& params,
             const std::function<void(const SqlRow&)>& visit) override {
    Guard([&] {
      SQLite::Statement statement(*db_, sql);
      for (size_t i = 0; i < params.size(); ++i) {
        int index = static_cast<int>(i) + 1;
        std::visit([&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) statement.bind(index);
          else statement.bind(index, v);
        }, params[i]);
      }
      SqliteRow row(statement);
      while (statement.executeStep()) visit(row);
    });
  }
  void BeginWrite(std::optional<int64_t>) override { Guard([&] { db_->exec("BEGIN IMMEDIATE"); }); }
  void BeginRead() override { Guard([&] { db_->exec("BEGIN"); }); }
  void Commit() override { Guard([&] { db_->exec("COMMIT"); }); }
  void Rollback() override { Guard([&] { db_->exec("ROLLBACK"); }); }
  std::string Now() const override { return "CURRENT_TIMESTAMP"; }
  std::string SecondsSince(const std::string& column) const override {
    // julianday() compares at sub-second resolution whatever the stored text's precision.
    return "((julianday('now') - julianday(" + column + ")) * 86400.0)";
  }
  std::string Name() const override { return path_; }

 private:
  template <class F>
  void Guard(F&& body) {
    try {
      body();
    } catch (const SQLite::Exception& e) {
      Error error = TranslateException(path_, e);
      throw SqlError(error.kind, error.message);
    }
  }

  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
};

}  // namespace

Result<std::unique_ptr<SqliteStorage>> SqliteStorage::Open(const std::string& path, StorageAccess access) {
  KNOB_RETURN_IF_ERROR(CheckFile(path, access));
  // One connection per storage, used by one thread at a time: no SQLite mutex.
  int flags = SQLITE_OPEN_NOMUTEX |
              (access == StorageAccess::kRead ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE);
  bool existed = std::filesystem::exists(path);
  if (access == StorageAccess::kCreate) flags |= SQLite::OPEN_CREATE;
  try {
    auto db = std::make_unique<SQLite::Database>(path, flags, BusyTimeoutMs());
    // Reads through a memory map: one CLI call reads the whole study once.
    db->exec("PRAGMA mmap_size=268435456");
    bool has_tables = sqlite_schema::HasTables(*db);  // reads the header: fails if not SQLite
    if (!has_tables && access != StorageAccess::kCreate)
      return Error::BadInput("storage file '" + path +
                             "' holds no studies (it is not a knob or Optuna database)");
    if (access != StorageAccess::kRead) {
      db->exec("PRAGMA journal_mode=WAL");
      db->exec("PRAGMA synchronous=NORMAL");
      sqlite_schema::Ensure(*db);
    }
    // Optuna's layout declares its foreign keys; SQLite enforces them only when asked,
    // so that a trial can never be written into a study that was deleted.
    db->exec("PRAGMA foreign_keys=ON");
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return Error::Runtime("storage file '" + path + "' vanished while opening");
    auto session = std::make_unique<SqliteSession>(path, std::move(db));
    return std::unique_ptr<SqliteStorage>(new SqliteStorage(std::move(session), path, st.st_dev, st.st_ino));
  } catch (const SQLite::Exception& e) {
    if (!existed && access == StorageAccess::kCreate) std::filesystem::remove(path);
    return TranslateException(path, e);
  }
}

Status SqliteStorage::CheckIntact() {
  struct stat st {};
  if (stat(path_.c_str(), &st) != 0)
    return Error::Runtime("storage file '" + path_ + "' was deleted while in use; nothing more can be recorded");
  if (st.st_dev != device_ || st.st_ino != inode_)
    return Error::Runtime("storage file '" + path_ + "' was replaced by another file while in use");
  return {};
}

}  // namespace knob
