#include "studies/storage_url.h"

#include <algorithm>

#include "base/input_reader.h"
#include "studies/postgres_storage.h"

namespace knob {

namespace {

// An Optuna user's URL may carry SQLAlchemy's options of its SQLite driver
// (`sqlite:///x.db?timeout=30`). knob keeps its own busy timeout (60 s) and threads,
// so those two are taken and ignored; any other is refused rather than guessed at.
Status CheckSqliteOptions(const std::string& url, const std::string& query) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = std::min(query.find('&', start), query.size());
    std::string option = query.substr(start, end - start);
    start = end + 1;
    if (option.empty()) continue;
    std::string key = option.substr(0, option.find('='));
    if (key != "timeout" && key != "check_same_thread")
      return Error::BadInput("storage URL '" + url + "': option " + QuoteForMessage(key) +
                             " is not supported (timeout and check_same_thread are taken and ignored)");
  }
  return {};
}

// SQLAlchemy's form names a driver (`postgresql+psycopg2://`); libpq needs none.
std::optional<std::string> PostgresUrlOf(const std::string& url) {
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) return url;
  size_t scheme_end = url.find("://");
  if (url.rfind("postgresql+", 0) == 0 && scheme_end != std::string::npos)
    return "postgresql" + url.substr(scheme_end);
  return std::nullopt;
}

}  // namespace

std::optional<SqliteUrl> SplitSqliteUrl(const std::string& url) {
  const std::string prefix = kSqliteUrlPrefix;
  if (url.rfind(prefix, 0) != 0) return std::nullopt;
  SqliteUrl parts{url.substr(prefix.size()), ""};
  if (size_t query = parts.path.find('?'); query != std::string::npos) {
    parts.query = parts.path.substr(query);
    parts.path.resize(query);
  }
  return parts;
}

Result<std::string> SqlitePathOf(const std::string& url) {
  if (url.empty()) return Error::BadInput("storage is empty: give --storage sqlite:///file.db");
  if (std::optional<SqliteUrl> sqlite = SplitSqliteUrl(url)) {
    if (!sqlite->query.empty()) KNOB_RETURN_IF_ERROR(CheckSqliteOptions(url, sqlite->query.substr(1)));
    if (sqlite->path.empty()) return Error::BadInput("storage URL '" + url + "' names no file");
    return sqlite->path;
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
  if (std::optional<std::string> server = PostgresUrlOf(url)) {
    KNOB_ASSIGN_OR_RETURN(auto storage, PostgresStorage::Open(*server, access));
    return std::unique_ptr<Storage>(std::move(storage));
  }
  KNOB_ASSIGN_OR_RETURN(std::string path, SqlitePathOf(url));
  KNOB_ASSIGN_OR_RETURN(auto storage, SqliteStorage::Open(path, access));
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace knob
