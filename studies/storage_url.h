// Opens a Storage from a URL named like Optuna's: `sqlite:///relative.db`,
// `sqlite:////absolute.db` (SQLAlchemy's `?timeout=` taken and ignored), a bare
// path meaning the same, or `postgresql://user:password@host:port/database`
// (`postgres://`, `postgresql+psycopg2://` too) for a PostgreSQL server. The command line and
// the orchestrator call this; nothing else needs to know which storage it got.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "studies/sqlite_storage.h"
#include "studies/storage.h"

namespace knob {

// An `sqlite:///` URL split, not yet checked: its file path and its SQLAlchemy options
// (`?timeout=30`, the '?' kept; empty when it has none). nullopt for anything else.
struct SqliteUrl {
  std::string path;
  std::string query;
};
inline constexpr char kSqliteUrlPrefix[] = "sqlite:///";
std::optional<SqliteUrl> SplitSqliteUrl(const std::string& url);

// The file path of an SQLite storage URL, or bad input for another scheme.
Result<std::string> SqlitePathOf(const std::string& url);

Result<std::unique_ptr<Storage>> OpenStorage(const std::string& url, StorageAccess access);

}  // namespace knob
