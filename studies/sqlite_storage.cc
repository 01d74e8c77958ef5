#include "studies/sqlite_storage.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string_view>
#include <unordered_map>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include "base/clock.h"
#include "base/json_text.h"
#include "search/distribution_json.h"
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
  if (!Readable(path, st)) return Error::BadInput("storage file '" + path + "' is not readable");
  if (access != StorageAccess::kRead && !Writable(path, st))
    return Error::BadInput("storage file '" + path + "' is read-only");
  return {};
}

const char* ValueType(double value) {
  if (std::isnan(value)) return "NAN";
  if (std::isinf(value)) return value > 0 ? "INF_POS" : "INF_NEG";
  return "FINITE";
}

double ReadTypedValue(const SQLite::Column& value, const std::string& type) {
  if (type == "INF_POS") return INFINITY;
  if (type == "INF_NEG") return -INFINITY;
  if (type == "NAN" || value.isNull()) return NAN;
  return value.getDouble();
}

void BindValue(SQLite::Statement& statement, int index, double value) {
  if (std::isfinite(value)) statement.bind(index, value);
  else statement.bind(index);  // NULL; the type column says which non-finite value
}

nlohmann::json ParseStoredJson(const std::string& text) {
  auto parsed = ParseJsonText("stored attribute", text);
  return parsed.ok() ? *parsed : nlohmann::json(text);
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

}  // namespace

template <class F>
auto SqliteStorage::Guarded(F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    return TranslateException(path_, e);
  }
}

Result<std::unique_ptr<SqliteStorage>> SqliteStorage::Open(const std::string& path,
                                                           StorageAccess access) {
  KNOB_RETURN_IF_ERROR(CheckFile(path, access));
  // One connection per SqliteStorage, used by one thread at a time: no SQLite mutex.
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
    return std::unique_ptr<SqliteStorage>(new SqliteStorage(path, std::move(db)));
  } catch (const SQLite::Exception& e) {
    if (!existed && access == StorageAccess::kCreate) std::filesystem::remove(path);
    return TranslateException(path, e);
  }
}

StudyRecord SqliteStorage::ReadStudyRecord(int64_t study_id) {
  StudyRecord record;
  record.study_id = study_id;
  SQLite::Statement study(*db_, "SELECT study_name FROM studies WHERE study_id = ?");
  study.bind(1, study_id);
  if (study.executeStep()) record.name = study.getColumn(0).getString();
  SQLite::Statement direction(*db_,
      "SELECT direction FROM study_directions WHERE study_id = ? AND objective = 0");
  direction.bind(1, study_id);
  if (direction.executeStep() && direction.getColumn(0).getString() == "MAXIMIZE")
    record.direction = StudyDirection::kMaximize;
  for (auto [table, target] : {std::pair{"study_user_attributes", &record.user_attrs},
                               std::pair{"study_system_attributes", &record.system_attrs}}) {
    SQLite::Statement attrs(*db_, std::string("SELECT \"key\", value_json FROM ") + table +
                                      " WHERE study_id = ?");
    attrs.bind(1, study_id);
    while (attrs.executeStep())
      (*target)[attrs.getColumn(0).getString()] = ParseStoredJson(attrs.getColumn(1).getString());
  }
  return record;
}

Result<int64_t> SqliteStorage::CreateStudy(const std::string& name, StudyDirection direction,
                                           const nlohmann::json& system_attrs) {
  return Guarded([&]() -> Result<int64_t> {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement exists(*db_, "SELECT 1 FROM studies WHERE study_name = ?");
    exists.bind(1, name);
    if (exists.executeStep()) return Error::BadInput("study '" + name + "' already exists");
    SQLite::Statement insert(*db_, "INSERT INTO studies (study_name) VALUES (?)");
    insert.bind(1, name);
    insert.exec();
    int64_t study_id = db_->getLastInsertRowid();
    SQLite::Statement dir(*db_,
        "INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, 0)");
    dir.bind(1, direction == StudyDirection::kMaximize ? "MAXIMIZE" : "MINIMIZE");
    dir.bind(2, study_id);
    dir.exec();
    for (const auto& [key, value] : system_attrs.items()) {
      SQLite::Statement attr(*db_,
          "INSERT INTO study_system_attributes (study_id, \"key\", value_json) VALUES (?, ?, ?)");
      attr.bind(1, study_id);
      attr.bind(2, key);
      attr.bind(3, DumpJson(value));
      attr.exec();
    }
    transaction.commit();
    return study_id;
  });
}

Result<StudyRecord> SqliteStorage::FindStudy(const std::string& name) {
  return Guarded([&]() -> Result<StudyRecord> {
    SQLite::Statement query(*db_, "SELECT study_id FROM studies WHERE study_name = ?");
    query.bind(1, name);
    if (!query.executeStep())
      return Error::BadInput("no study named '" + name + "' in " + path_);
    return ReadStudyRecord(query.getColumn(0).getInt64());
  });
}

Result<std::vector<StudyRecord>> SqliteStorage::ListStudies() {
  return Guarded([&]() -> Result<std::vector<StudyRecord>> {
    std::vector<int64_t> ids;
    SQLite::Statement query(*db_, "SELECT study_id FROM studies ORDER BY study_id");
    while (query.executeStep()) ids.push_back(query.getColumn(0).getInt64());
    std::vector<StudyRecord> records;
    for (int64_t id : ids) records.push_back(ReadStudyRecord(id));
    return records;
  });
}

Status SqliteStorage::DeleteStudy(int64_t study_id) {
  return Guarded([&]() -> Status {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    for (const char* table : {"trial_params", "trial_values", "trial_intermediate_values",
                              "trial_user_attributes", "trial_system_attributes",
                              "trial_heartbeats"}) {
      SQLite::Statement del(*db_, std::string("DELETE FROM ") + table +
                                      " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?)");
      del.bind(1, study_id);
      del.exec();
    }
    for (const char* table : {"trials", "study_directions", "study_user_attributes",
                              "study_system_attributes", "studies"}) {
      SQLite::Statement del(*db_, std::string("DELETE FROM ") + table + " WHERE study_id = ?");
      del.bind(1, study_id);
      del.exec();
    }
    transaction.commit();
    return {};
  });
}

Status SqliteStorage::UpsertStudyAttr(const char* table, int64_t study_id, const std::string& key,
                                      const nlohmann::json& value) {
  return Guarded([&]() -> Status {
    SQLite::Statement upsert(*db_, std::string("INSERT INTO ") + table +
        " (study_id, \"key\", value_json) VALUES (?, ?, ?) "
        "ON CONFLICT (study_id, \"key\") DO UPDATE SET value_json = excluded.value_json");
    upsert.bind(1, study_id);
    upsert.bind(2, key);
    upsert.bind(3, DumpJson(value));
    upsert.exec();
    return {};
  });
}

Status SqliteStorage::SetStudyUserAttr(int64_t study_id, const std::string& key,
                                       const nlohmann::json& value) {
  return UpsertStudyAttr("study_user_attributes", study_id, key, value);
}

Status SqliteStorage::SetStudySystemAttr(int64_t study_id, const std::string& key,
                                         const nlohmann::json& value) {
  return UpsertStudyAttr("study_system_attributes", study_id, key, value);
}

StudySnapshot SqliteStorage::ReadSnapshot(int64_t study_id, std::optional<int> only_number,
                                          const SnapshotParts& parts) {
  StudyRecord record = ReadStudyRecord(study_id);
  StudySnapshot snapshot{study_id, record.name, record.direction, {}};
  std::optional<int64_t> only_id;
  if (only_number) {
    auto located = LocateTrial(study_id, *only_number);
    if (!located.ok()) return snapshot;
    only_id = located->first;
  }
  std::unordered_map<int64_t, size_t> index_of;
  std::string columns = parts.times ? "trial_id, number, state, datetime_start, datetime_complete"
                                    : "trial_id, number, state";
  SQLite::Statement trials(*db_, "SELECT " + columns + " FROM trials " +
      (only_id ? "WHERE trial_id = ?" : "WHERE study_id = ? ORDER BY number, trial_id"));
  trials.bind(1, only_id ? *only_id : study_id);
  while (trials.executeStep()) {
    FrozenTrial& t = snapshot.trials.emplace_back();
    t.trial_id = trials.getColumn(0).getInt64();
    t.number = trials.getColumn(1).getInt();
    t.state = ParseTrialState(trials.getColumn(2).getText()).value_or(TrialState::kFail);
    if (parts.times) {
      t.datetime_start = trials.getColumn(3).getString();
      t.datetime_complete = trials.getColumn(4).getString();
    }
    index_of.emplace(t.trial_id, snapshot.trials.size() - 1);
  }
  if (snapshot.trials.empty()) return snapshot;
  // Visits each row of a trial table with its trial: for one trial by the trial's id,
  // for the whole study through a join.
  auto for_each_row = [&](const char* columns, const char* table, auto&& visit,
                          const char* only_state = nullptr) {
    std::string sql = std::string("SELECT x.trial_id, ") + columns + " FROM " + table + " x ";
    sql += only_number ? "WHERE x.trial_id = ?"
                       : "JOIN trials t ON x.trial_id = t.trial_id WHERE t.study_id = ?";
    if (only_state && !only_number) sql += std::string(" AND t.state = '") + only_state + "'";
    SQLite::Statement rows(*db_, sql);
    rows.bind(1, only_number ? snapshot.trials.front().trial_id : study_id);
    while (rows.executeStep()) visit(snapshot.trials[index_of.at(rows.getColumn(0).getInt64())], rows);
  };
  if (parts.params) {
    // Many trials share a few distribution texts: parse each text once.
    std::map<std::string, Distribution, std::less<>> distributions;
    for_each_row("x.param_name, x.param_value, x.distribution_json", "trial_params",
                 [&](FrozenTrial& t, SQLite::Statement& row) {
      std::string name = row.getColumn(1).getString();
      std::string_view text = row.getColumn(3).getText();
      auto cached = distributions.find(text);
      if (cached == distributions.end()) {
        auto parsed = ParseOptunaJson(name, std::string(text));
        if (!parsed.ok()) return;  // a distribution knob cannot read is left out
        cached = distributions.emplace(std::string(text), *parsed).first;
      }
      t.params[name] = TrialParam{cached->second, row.getColumn(2).getDouble()};
    });
  }
  if (parts.values)
    for_each_row("x.value, x.value_type", "trial_values", [](FrozenTrial& t, SQLite::Statement& row) {
      t.value = ReadTypedValue(row.getColumn(1), row.getColumn(2).getString());
    });
  if (parts.intermediate_values)
    for_each_row("x.step, x.intermediate_value, x.intermediate_value_type",
                 "trial_intermediate_values", [](FrozenTrial& t, SQLite::Statement& row) {
      t.intermediate_values[row.getColumn(1).getInt64()] =
          ReadTypedValue(row.getColumn(2), row.getColumn(3).getString());
    });
  if (parts.user_attrs)
    for_each_row("x.\"key\", x.value_json", "trial_user_attributes",
                 [](FrozenTrial& t, SQLite::Statement& row) {
      t.user_attrs[row.getColumn(1).getString()] = ParseStoredJson(row.getColumn(2).getString());
    });
  // WAITING trials always bring theirs: the fixed params an ask hands out.
  for_each_row("x.\"key\", x.value_json", "trial_system_attributes",
               [](FrozenTrial& t, SQLite::Statement& row) {
    t.system_attrs[row.getColumn(1).getString()] = ParseStoredJson(row.getColumn(2).getString());
  }, parts.system_attrs ? nullptr : "WAITING");
  return snapshot;
}

void SqliteStorage::InsertParams(int64_t trial_id, const std::map<std::string, TrialParam>& params) {
  SQLite::Statement insert(*db_,
      "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
      "VALUES (?, ?, ?, ?)");
  for (const auto& [name, param] : params) {
    insert.bind(1, trial_id);
    insert.bind(2, name);
    insert.bind(3, param.internal);
    insert.bind(4, ToOptunaJson(param.distribution));
    insert.exec();
    insert.reset();
  }
}

void SqliteStorage::InsertAttrs(const char* table, int64_t trial_id, const nlohmann::json& attrs) {
  SQLite::Statement upsert(*db_, std::string("INSERT INTO ") + table +
      " (trial_id, \"key\", value_json) VALUES (?, ?, ?) "
      "ON CONFLICT (trial_id, \"key\") DO UPDATE SET value_json = excluded.value_json");
  for (const auto& [key, value] : attrs.items()) {
    upsert.bind(1, trial_id);
    upsert.bind(2, key);
    upsert.bind(3, DumpJson(value));
    upsert.exec();
    upsert.reset();
  }
}

Result<FrozenTrial> SqliteStorage::CreateTrial(int64_t study_id, const SnapshotParts& parts,
                                               const TrialPlanner& planner) {
  return Guarded([&]() -> Result<FrozenTrial> {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    StudySnapshot snapshot = ReadSnapshot(study_id, std::nullopt, parts);
    KNOB_ASSIGN_OR_RETURN(TrialPlan plan, planner(snapshot));
    std::string now = NowText();
    FrozenTrial base;
    if (plan.waiting_number) {
      auto waiting = std::find_if(snapshot.trials.begin(), snapshot.trials.end(),
                                  [&](const FrozenTrial& t) { return t.number == *plan.waiting_number; });
      if (waiting == snapshot.trials.end() || waiting->state != TrialState::kWaiting)
        return Error::Runtime("planned WAITING trial " + std::to_string(*plan.waiting_number) +
                              " is not waiting");
      // The snapshot may lack parts of it; the trial handed back is whole.
      base = ReadSnapshot(study_id, waiting->number, SnapshotParts::All()).trials.front();
      SQLite::Statement update(*db_,
          "UPDATE trials SET state = 'RUNNING', datetime_start = ? WHERE trial_id = ?");
      update.bind(1, now);
      update.bind(2, base.trial_id);
      update.exec();
    } else {
      base.number = static_cast<int>(snapshot.trials.size());
      SQLite::Statement insert(*db_,
          "INSERT INTO trials (number, study_id, state, datetime_start) VALUES (?, ?, 'RUNNING', ?)");
      insert.bind(1, base.number);
      insert.bind(2, study_id);
      insert.bind(3, now);
      insert.exec();
      base.trial_id = db_->getLastInsertRowid();
    }
    trial_ids_[{study_id, base.number}] = base.trial_id;
    InsertParams(base.trial_id, plan.params);
    InsertAttrs("trial_system_attributes", base.trial_id, plan.system_attrs);
    if (plan.heartbeat) UpsertHeartbeat(base.trial_id);
    transaction.commit();
    return ApplyPlan(std::move(base), plan, now);
  });
}

Result<int> SqliteStorage::CreateWaitingTrial(int64_t study_id, const nlohmann::json& user_attrs,
                                              const nlohmann::json& system_attrs) {
  return Guarded([&]() -> Result<int> {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement count(*db_, "SELECT count(*) FROM trials WHERE study_id = ?");
    count.bind(1, study_id);
    count.executeStep();
    int number = count.getColumn(0).getInt();
    SQLite::Statement insert(*db_,
        "INSERT INTO trials (number, study_id, state) VALUES (?, ?, 'WAITING')");
    insert.bind(1, number);
    insert.bind(2, study_id);
    insert.exec();
    int64_t trial_id = db_->getLastInsertRowid();
    trial_ids_[{study_id, number}] = trial_id;
    InsertAttrs("trial_user_attributes", trial_id, user_attrs);
    InsertAttrs("trial_system_attributes", trial_id, system_attrs);
    transaction.commit();
    return number;
  });
}

Result<std::pair<int64_t, TrialState>> SqliteStorage::LocateTrial(int64_t study_id, int number) {
  auto cached = trial_ids_.find({study_id, number});
  if (cached != trial_ids_.end()) {
    // Checked against the row: another process may have deleted the study.
    SQLite::Statement check(*db_,
        "SELECT state FROM trials WHERE trial_id = ? AND study_id = ? AND number = ?");
    check.bind(1, cached->second);
    check.bind(2, study_id);
    check.bind(3, number);
    if (check.executeStep())
      return std::pair{cached->second, ParseTrialState(check.getColumn(0).getText()).value_or(TrialState::kFail)};
    trial_ids_.erase(cached);
  }
  SQLite::Statement query(*db_,
      "SELECT trial_id, state FROM trials WHERE study_id = ? AND number = ? ORDER BY trial_id");
  query.bind(1, study_id);
  query.bind(2, number);
  if (!query.executeStep()) return UnknownTrialError(number);
  auto state = ParseTrialState(query.getColumn(1).getText()).value_or(TrialState::kFail);
  int64_t trial_id = query.getColumn(0).getInt64();
  trial_ids_[{study_id, number}] = trial_id;
  return std::pair{trial_id, state};
}

Result<int64_t> SqliteStorage::LocateRunningTrial(int64_t study_id, int number) {
  KNOB_ASSIGN_OR_RETURN(auto located, LocateTrial(study_id, number));
  if (located.second != TrialState::kRunning) return NotRunningError(number, located.second);
  return located.first;
}

Status SqliteStorage::SetIntermediateValue(int64_t study_id, int number, int64_t step,
                                           double value) {
  return Guarded([&]() -> Status {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    KNOB_ASSIGN_OR_RETURN(int64_t trial_id, LocateRunningTrial(study_id, number));
    SQLite::Statement upsert(*db_,
        "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, "
        "intermediate_value_type) VALUES (?, ?, ?, ?) ON CONFLICT (trial_id, step) DO UPDATE SET "
        "intermediate_value = excluded.intermediate_value, "
        "intermediate_value_type = excluded.intermediate_value_type");
    upsert.bind(1, trial_id);
    upsert.bind(2, step);
    BindValue(upsert, 3, value);
    upsert.bind(4, ValueType(value));
    upsert.exec();
    transaction.commit();
    return {};
  });
}

Result<FrozenTrial> SqliteStorage::FinishTrial(int64_t study_id, int number, TrialState state,
                                               std::optional<double> value,
                                               const nlohmann::json& system_attrs,
                                               const nlohmann::json& user_attrs) {
  return Guarded([&]() -> Result<FrozenTrial> {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    KNOB_ASSIGN_OR_RETURN(int64_t trial_id, LocateRunningTrial(study_id, number));
    SQLite::Statement update(*db_,
        "UPDATE trials SET state = ?, datetime_complete = ? WHERE trial_id = ?");
    update.bind(1, TrialStateName(state));
    update.bind(2, NowText());
    update.bind(3, trial_id);
    update.exec();
    if (value) {
      SQLite::Statement insert(*db_,
          "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, 0, ?, ?)");
      insert.bind(1, trial_id);
      BindValue(insert, 2, *value);
      insert.bind(3, ValueType(*value));
      insert.exec();
    }
    InsertAttrs("trial_system_attributes", trial_id, system_attrs);
    InsertAttrs("trial_user_attributes", trial_id, user_attrs);
    transaction.commit();
    return ReadTrial(study_id, number);
  });
}

Status SqliteStorage::SetTrialUserAttr(int64_t study_id, int number, const std::string& key,
                                       const nlohmann::json& value) {
  return Guarded([&]() -> Status {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    KNOB_ASSIGN_OR_RETURN(int64_t trial_id, LocateRunningTrial(study_id, number));
    InsertAttrs("trial_user_attributes", trial_id, nlohmann::json{{key, value}});
    transaction.commit();
    return {};
  });
}

Status SqliteStorage::SetTrialSystemAttrs(int64_t study_id, int number, const nlohmann::json& attrs) {
  return Guarded([&]() -> Status {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    KNOB_ASSIGN_OR_RETURN(int64_t trial_id, LocateRunningTrial(study_id, number));
    InsertAttrs("trial_system_attributes", trial_id, attrs);
    transaction.commit();
    return {};
  });
}

void SqliteStorage::UpsertHeartbeat(int64_t trial_id) {
  // Optuna's own statement: the database's clock, one row per trial.
  SQLite::Statement upsert(*db_,
      "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, CURRENT_TIMESTAMP) "
      "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat");
  upsert.bind(1, trial_id);
  upsert.exec();
}

Status SqliteStorage::RecordHeartbeats(int64_t study_id, const std::vector<int>& numbers) {
  if (numbers.empty()) return {};
  return Guarded([&]() -> Status {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    for (int number : numbers) {
      auto located = LocateTrial(study_id, number);
      if (located.ok() && located->second == TrialState::kRunning) UpsertHeartbeat(located->first);
    }
    transaction.commit();
    return {};
  });
}

Result<std::vector<int>> SqliteStorage::StaleTrials(int64_t study_id, double grace_seconds) {
  return Guarded([&]() -> Result<std::vector<int>> {
    // julianday() compares at sub-second resolution whatever the stored text's precision.
    SQLite::Statement query(*db_,
        "SELECT t.number FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
        "WHERE t.study_id = ? AND t.state = 'RUNNING' AND "
        "(julianday('now') - julianday(h.heartbeat)) * 86400.0 > ? ORDER BY t.number");
    query.bind(1, study_id);
    query.bind(2, grace_seconds);
    std::vector<int> numbers;
    while (query.executeStep()) numbers.push_back(query.getColumn(0).getInt());
    return numbers;
  });
}

Result<StudySnapshot> SqliteStorage::ReadStudy(int64_t study_id, const SnapshotParts& parts) {
  return Guarded([&]() -> Result<StudySnapshot> {
    return ReadSnapshot(study_id, std::nullopt, parts);
  });
}

Result<FrozenTrial> SqliteStorage::ReadTrial(int64_t study_id, int number) {
  // The same reading code as a snapshot, restricted to one number.
  return Guarded([&]() -> Result<FrozenTrial> {
    StudySnapshot snapshot = ReadSnapshot(study_id, number, SnapshotParts::All());
    if (snapshot.trials.empty()) return UnknownTrialError(number);
    return std::move(snapshot.trials.front());
  });
}

}  // namespace knob
