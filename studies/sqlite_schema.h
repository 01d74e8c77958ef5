// The SQLite tables of Optuna's RDB storage (reference/optuna.md, section 4.1),
// created exactly so that Optuna 3.1 and later open a knob file unchanged.
// Used only by SqliteStorage.
#pragma once

#include <SQLiteCpp/Database.h>

namespace knob::sqlite_schema {

// True when the file holds Optuna's tables (at least `studies` and `trials`).
bool HasTables(SQLite::Database& db);

// Creates the missing tables and the trials(study_id) index, and writes version_info
// as schema 12 with alembic_version left empty (DESIGN.md, "Storage"). Runs inside
// its own immediate transaction; safe to call from several processes at once.
void Ensure(SQLite::Database& db);

}  // namespace knob::sqlite_schema
