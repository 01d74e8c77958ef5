#include "studies/storage_url.h"

#include "studies/postgres_storage.h"

namespace knob {

Result<std::string> SqlitePathOf(const std::string& url) {
  if (url.empty()) return Error::BadInput("storage is empty: give --storage sqlite:///file.db");
  const std::string sqlite_prefix = "sqlite:///";
  if (url.rfind(sqlite_prefix, 0) == 0) {
    std::string path = url.substr(sqlite_prefix.size());
    if (path.empty()) return Error::BadInput("storage URL '" + url + "' names no file");
    return path;
  }
  auto scheme_end = url.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = url.substr(0, scheme_end);
    if (scheme == "sqlite")
      return Error::BadInput("storage URL '" + url + "' must start with sqlite:/// (three slashes)");
    return Error::BadInput("storage URL scheme '" + scheme +
                           "' is not supported; use sqlite:///path, a file path or postgresql://user@host/db");
  }
  return url;
}

Result<std::unique_ptr<Storage>> OpenStorage(const std::string& url, StorageAccess access) {
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) {
    KNOB_ASSIGN_OR_RETURN(auto storage, PostgresStorage::Open(url, access));
    return std::unique_ptr<Storage>(std::move(storage));
  }
  KNOB_ASSIGN_OR_RETURN(std::string path, SqlitePathOf(url));
  KNOB_ASSIGN_OR_RETURN(auto storage, SqliteStorage::Open(path, access));
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace knob
