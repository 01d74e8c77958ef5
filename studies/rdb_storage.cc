#include "studies/rdb_storage.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "base/input_reader.h"
#include "base/clock.h"
#include "base/json_text.h"
#include "search/distribution_json.h"

namespace knob {
namespace {

const char* ValueType(double value) {
  if (std::isnan(value)) return "NAN";
  if (std::isinf(value)) return value > 0 ? "INF_POS" : "INF_NEG";
  return "FINITE";
}

double ReadTypedValue(const SqlRow& row, int value_column, int type_column) {
  std::string_view type = row.Text(type_column);
  if (type == "INF_POS") return INFINITY;
  if (type == "INF_NEG") return -INFINITY;
  if (type == "NAN" || row.IsNull(value_column)) return NAN;
  return row.Double(value_column);
}

// A finite value as itself; a non-finite one as NULL, its type column saying which.
SqlValue ValueOrNull(double value) {
  return std::isfinite(value) ? SqlValue(value) : SqlValue(nullptr);
}

nlohmann::json ParseStoredJson(std::string_view text) {
  auto parsed = ParseJsonText("stored attribute", std::string(text));
  return parsed.ok() ? *parsed : nlohmann::json(std::string(text));
}

TrialState StateOf(std::string_view text) {
  return ParseTrialState(text).value_or(TrialState::kFail);
}

}  // namespace

template <class F>
auto RdbStorage::Guarded(F&& body) -> decltype(body()) {
  // Each body is whole transactions: after a lost connection it is run again on
  // a new one (a restarted database server), a bounded number of times.
  for (int attempt = 0;; ++attempt) {
    try {
      return body();
    } catch (const SqlError& e) {
      if (!e.connection_lost || attempt >= 3 || !session_->Reconnect()) return e.ToError();
    }
  }
}

StudyRecord RdbStorage::ReadStudyRecord(int64_t study_id) {
  // Two statements, not four: on a database server each one is a round trip.
  StudyRecord record;
  record.study_id = study_id;
  session_->Query("SELECT s.study_name, d.direction FROM studies s LEFT JOIN study_directions d "
                  "ON d.study_id = s.study_id WHERE s.study_id = ? ORDER BY d.objective",
                  {study_id}, [&](const SqlRow& row) {
    record.name = row.Text(0);
    if (row.IsNull(1)) return;
    record.directions.push_back(row.Text(1) == "MAXIMIZE" ? StudyDirection::kMaximize : StudyDirection::kMinimize);
  });
  if (record.directions.empty()) record.directions.push_back(StudyDirection::kMinimize);
  record.direction = record.directions[0];
  session_->Query("SELECT 'u', \"key\", value_json FROM study_user_attributes WHERE study_id = ? "
                  "UNION ALL SELECT 's', \"key\", value_json FROM study_system_attributes WHERE study_id = ?",
                  {study_id, study_id}, [&](const SqlRow& row) {
    nlohmann::json& target = row.Text(0) == "u" ? record.user_attrs : record.system_attrs;
    target[std::string(row.Text(1))] = ParseStoredJson(row.Text(2));
  });
  return record;
}

Result<int64_t> RdbStorage::CreateStudy(const std::string& name, const std::vector<StudyDirection>& directions,
                                        const nlohmann::json& system_attrs) {
  if (directions.empty()) return Error::BadInput("a study needs at least one direction");
  return Guarded([&]() -> Result<int64_t> {
    WriteTransaction transaction(*session_, std::nullopt);
    bool exists = false;
    session_->Query("SELECT 1 FROM studies WHERE study_name = ?", {name},
                    [&](const SqlRow&) { exists = true; });
    if (exists) return Error::BadInput("study '" + name + "' already exists");
    int64_t study_id = -1;
    session_->Query("INSERT INTO studies (study_name) VALUES (?) RETURNING study_id", {name},
                    [&](const SqlRow& row) { study_id = row.Int(0); });
    for (size_t objective = 0; objective < directions.size(); ++objective)
      session_->Exec("INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, ?)",
                     {std::string(directions[objective] == StudyDirection::kMaximize ? "MAXIMIZE" : "MINIMIZE"),
                      study_id, static_cast<int64_t>(objective)});
    for (const auto& [key, value] : system_attrs.items())
      session_->Exec("INSERT INTO study_system_attributes (study_id, \"key\", value_json) VALUES (?, ?, ?)",
                     {study_id, key, DumpJson(value)});
    transaction.Commit();
    return study_id;
  });
}

Result<StudyRecord> RdbStorage::FindStudy(const std::string& name) {
  return Guarded([&]() -> Result<StudyRecord> {
    std::optional<int64_t> id;
    session_->Query("SELECT study_id FROM studies WHERE study_name = ?", {name},
                    [&](const SqlRow& row) { id = row.Int(0); });
    if (!id) return Error::BadInput("no study named '" + name + "' in " + session_->Name());
    return ReadStudyRecord(*id);
  });
}

Result<std::vector<StudyRecord>> RdbStorage::ListStudies() {
  return Guarded([&]() -> Result<std::vector<StudyRecord>> {
    std::vector<int64_t> ids;
    session_->Query("SELECT study_id FROM studies ORDER BY study_id", {},
                    [&](const SqlRow& row) { ids.push_back(row.Int(0)); });
    std::vector<StudyRecord> records;
    for (int64_t id : ids) records.push_back(ReadStudyRecord(id));
    return records;
  });
}

Status RdbStorage::DeleteStudy(int64_t study_id) {
  return Guarded([&]() -> Status {
    WriteTransaction transaction(*session_, study_id);
    for (const char* table : {"trial_params", "trial_values", "trial_intermediate_values",
                              "trial_user_attributes", "trial_system_attributes", "trial_heartbeats"})
      session_->Exec(std::string("DELETE FROM ") + table +
                         " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?)",
                     {study_id});
    for (const char* table : {"trials", "study_directions", "study_user_attributes",
                              "study_system_attributes", "studies"})
      session_->Exec(std::string("DELETE FROM ") + table + " WHERE study_id = ?", {study_id});
    transaction.Commit();
    for (auto it = trial_ids_.begin(); it != trial_ids_.end();)
      it = it->first.first == study_id ? trial_ids_.erase(it) : std::next(it);
    return {};
  });
}

Status RdbStorage::UpsertStudyAttr(const char* table, int64_t study_id, const std::string& key,
                                   const nlohmann::json& value) {
  return Guarded([&]() -> Status {
    session_->Exec(std::string("INSERT INTO ") + table +
                       " (study_id, \"key\", value_json) VALUES (?, ?, ?) "
                       "ON CONFLICT (study_id, \"key\") DO UPDATE SET value_json = excluded.value_json",
                   {study_id, key, DumpJson(value)});
    return {};
  });
}

Status RdbStorage::SetStudyUserAttr(int64_t study_id, const std::string& key, const nlohmann::json& value) {
  return UpsertStudyAttr("study_user_attributes", study_id, key, value);
}

Status RdbStorage::SetStudySystemAttr(int64_t study_id, const std::string& key, const nlohmann::json& value) {
  return UpsertStudyAttr("study_system_attributes", study_id, key, value);
}

StudySnapshot RdbStorage::ReadSnapshot(int64_t study_id, std::optional<int> only_number, const TrialChanges* changes,
                                       const SnapshotParts& parts) {
  StudyRecord record = ReadStudyRecord(study_id);
  StudySnapshot snapshot{study_id, record.name, record.direction, {}, record.directions};
  std::optional<int64_t> only_id;
  if (only_number) {
    auto located = LocateTrial(study_id, *only_number);
    if (!located.ok()) return snapshot;
    only_id = located->first;
  }
  // Which trials: one by its id, the study's changed ones, or all the study's.
  std::string which = "t.trial_id = ?";
  std::vector<SqlValue> which_params{only_id ? *only_id : study_id};
  if (!only_id) {
    which = "t.study_id = ?";
    if (changes) {
      which += " AND (t.trial_id > ?";
      which_params.push_back(changes->after_trial_id);
      if (!changes->open_trial_ids.empty()) {
        which += " OR t.trial_id IN (";
        for (size_t i = 0; i < changes->open_trial_ids.size(); ++i) {
          which += i == 0 ? "?" : ", ?";
          which_params.push_back(changes->open_trial_ids[i]);
        }
        which += ")";
      }
      which += ")";
    }
  }
  std::unordered_map<int64_t, size_t> index_of;
  std::string columns = parts.times ? "t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete"
                                    : "t.trial_id, t.number, t.state";
  session_->Query("SELECT " + columns + " FROM trials t WHERE " + which + " ORDER BY t.number, t.trial_id",
                  which_params, [&](const SqlRow& row) {
    FrozenTrial& t = snapshot.trials.emplace_back();
    t.trial_id = row.Int(0);
    t.number = static_cast<int>(row.Int(1));
    t.state = StateOf(row.Text(2));
    if (parts.times) {
      t.datetime_start = row.Text(3);
      t.datetime_complete = row.Text(4);
    }
    index_of.emplace(t.trial_id, snapshot.trials.size() - 1);
  });
  if (snapshot.trials.empty()) return snapshot;
  // Visits each row of a trial table with its trial: for one trial by the trial's id,
  // for the study's (or its changed) trials through a join (optionally only the
  // rows `only_where` picks).
  auto for_each_row = [&](const char* columns, const char* table, auto&& visit,
                          const char* only_where = nullptr) {
    std::string sql = std::string("SELECT x.trial_id, ") + columns + " FROM " + table + " x ";
    sql += only_id ? "WHERE x.trial_id = ?" : "JOIN trials t ON x.trial_id = t.trial_id WHERE " + which;
    if (only_where && !only_id) sql += std::string(" AND ") + only_where;
    session_->Query(sql, which_params, [&](const SqlRow& row) {
      auto index = index_of.find(row.Int(0));
      if (index != index_of.end()) visit(snapshot.trials[index->second], row);
    });
  };
  if (parts.params) {
    // Many trials share a few distribution texts: parse each text once.
    std::map<std::string, Distribution, std::less<>> distributions;
    for_each_row("x.param_name, x.param_value, x.distribution_json", "trial_params",
                 [&](FrozenTrial& t, const SqlRow& row) {
      std::string name(row.Text(1));
      std::string_view text = row.Text(3);
      auto cached = distributions.find(text);
      if (cached == distributions.end()) {
        auto parsed = ParseOptunaJson(name, std::string(text));
        if (!parsed.ok()) return;  // a distribution knob cannot read is left out
        cached = distributions.emplace(std::string(text), *parsed).first;
      }
      t.params[name] = TrialParam{cached->second, row.Double(2)};
    });
  }
  if (parts.values)
    for_each_row("x.objective, x.value, x.value_type", "trial_values", [](FrozenTrial& t, const SqlRow& row) {
      int64_t objective = row.Int(1);
      if (objective < 0 || objective > 1000) return;  // not a row knob or Optuna wrote
      if (t.values.size() <= static_cast<size_t>(objective)) t.values.resize(objective + 1, NAN);
      t.values[objective] = ReadTypedValue(row, 2, 3);
      if (objective == 0) t.value = t.values[0];
    });
  if (parts.intermediate_values)
    for_each_row("x.step, x.intermediate_value, x.intermediate_value_type", "trial_intermediate_values",
                 [](FrozenTrial& t, const SqlRow& row) {
      t.intermediate_values[row.Int(1)] = ReadTypedValue(row, 2, 3);
    });
  if (parts.user_attrs)
    for_each_row("x.\"key\", x.value_json", "trial_user_attributes", [](FrozenTrial& t, const SqlRow& row) {
      t.user_attrs[std::string(row.Text(1))] = ParseStoredJson(row.Text(2));
    });
  // WAITING trials always bring theirs: the fixed params an ask hands out.
  const char* some = parts.constraints ? "(t.state = 'WAITING' OR x.\"key\" = 'constraints' OR "
                                         "x.\"key\" LIKE 'constraints:%')"  // Optuna 5's, one per key
                                       : "t.state = 'WAITING'";
  for_each_row("x.\"key\", x.value_json", "trial_system_attributes", [](FrozenTrial& t, const SqlRow& row) {
    t.system_attrs[std::string(row.Text(1))] = ParseStoredJson(row.Text(2));
  }, parts.system_attrs ? nullptr : some);
  return snapshot;
}

void RdbStorage::InsertParams(int64_t trial_id, const std::map<std::string, TrialParam>& params) {
  for (const auto& [name, param] : params)
    session_->Exec("INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
                   "VALUES (?, ?, ?, ?)",
                   {trial_id, name, param.internal, ToOptunaJson(param.distribution)});
}

void RdbStorage::UpsertAttrs(const char* table, int64_t trial_id, const nlohmann::json& attrs) {
  for (const auto& [key, value] : attrs.items())
    session_->Exec(std::string("INSERT INTO ") + table +
                       " (trial_id, \"key\", value_json) VALUES (?, ?, ?) "
                       "ON CONFLICT (trial_id, \"key\") DO UPDATE SET value_json = excluded.value_json",
                   {trial_id, key, DumpJson(value)});
}

void RdbStorage::UpsertHeartbeat(int64_t trial_id) {
  // Optuna's own statement: the database's clock, one row per trial.
  session_->Exec("INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, " + session_->Now() +
                     ") ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat",
                 {trial_id});
}

Result<FrozenTrial> RdbStorage::CreateTrial(int64_t study_id, const SnapshotParts& parts,
                                            const TrialPlanner& planner) {
  return Guarded([&]() -> Result<FrozenTrial> {
    WriteTransaction transaction(*session_, study_id);
    StudySnapshot snapshot = ReadSnapshot(study_id, std::nullopt, nullptr, parts);
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
      base = ReadSnapshot(study_id, waiting->number, nullptr, SnapshotParts::All()).trials.front();
      session_->Exec("UPDATE trials SET state = 'RUNNING', datetime_start = ? WHERE trial_id = ?",
                     {now, base.trial_id});
    } else {
      base.number = static_cast<int>(snapshot.trials.size());
      session_->Query("INSERT INTO trials (number, study_id, state, datetime_start) "
                      "VALUES (?, ?, 'RUNNING', ?) RETURNING trial_id",
                      {int64_t{base.number}, study_id, now},
                      [&](const SqlRow& row) { base.trial_id = row.Int(0); });
    }
    InsertParams(base.trial_id, plan.params);
    UpsertAttrs("trial_system_attributes", base.trial_id, plan.system_attrs);
    if (plan.heartbeat) UpsertHeartbeat(base.trial_id);
    transaction.Commit();
    trial_ids_[{study_id, base.number}] = base.trial_id;
    return ApplyPlan(std::move(base), plan, now);
  });
}

Result<int> RdbStorage::CreateWaitingTrial(int64_t study_id, const nlohmann::json& user_attrs,
                                           const nlohmann::json& system_attrs) {
  return Guarded([&]() -> Result<int> {
    WriteTransaction transaction(*session_, study_id);
    int number = 0;
    session_->Query("SELECT count(*) FROM trials WHERE study_id = ?", {study_id},
                    [&](const SqlRow& row) { number = static_cast<int>(row.Int(0)); });
    int64_t trial_id = -1;
    session_->Query("INSERT INTO trials (number, study_id, state) VALUES (?, ?, 'WAITING') RETURNING trial_id",
                    {int64_t{number}, study_id}, [&](const SqlRow& row) { trial_id = row.Int(0); });
    UpsertAttrs("trial_user_attributes", trial_id, user_attrs);
    UpsertAttrs("trial_system_attributes", trial_id, system_attrs);
    transaction.Commit();
    trial_ids_[{study_id, number}] = trial_id;
    return number;
  });
}

Result<std::pair<int64_t, TrialState>> RdbStorage::LocateTrial(int64_t study_id, int number) {
  std::optional<std::pair<int64_t, TrialState>> found;
  auto cached = trial_ids_.find({study_id, number});
  if (cached != trial_ids_.end()) {
    // Checked against the row: another process may have deleted the study.
    session_->Query("SELECT state FROM trials WHERE trial_id = ? AND study_id = ? AND number = ?",
                    {cached->second, study_id, int64_t{number}},
                    [&](const SqlRow& row) { found = std::pair{cached->second, StateOf(row.Text(0))}; });
    if (found) return *found;
    trial_ids_.erase(cached);
  }
  session_->Query("SELECT trial_id, state FROM trials WHERE study_id = ? AND number = ? ORDER BY trial_id",
                  {study_id, int64_t{number}}, [&](const SqlRow& row) {
    if (!found) found = std::pair{row.Int(0), StateOf(row.Text(1))};
  });
  if (!found) return UnknownTrialError(number);
  trial_ids_[{study_id, number}] = found->first;
  return *found;
}

Result<int64_t> RdbStorage::LocateRunningTrial(int64_t study_id, int number) {
  KNOB_ASSIGN_OR_RETURN(auto located, LocateTrial(study_id, number));
  if (located.second != TrialState::kRunning) return NotRunningError(number, located.second);
  return located.first;
}

Status RdbStorage::SetIntermediateValue(int64_t study_id, int number, int64_t step, double value) {
  return Guarded([&]() -> Status {
    WriteTransaction transaction(*session_, study_id);
    KNOB_ASSIGN_OR_RETURN(int64_t trial_id, LocateRunningTrial(study_id, number));
    session_->Exec("INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, "
                   "intermediate_value_type) VALUES (?, ?, ?, ?) ON CONFLICT (trial_id, step) DO UPDATE SET "
                   "intermediate_value = excluded.intermediate_value, "
                   "intermediate_value_type = excluded.intermediate_value_type",
                   {trial_id, step, ValueOrNull(value), std::string(ValueType(value))});
    transaction.Commit();
    return {};
  });
}

Result<FrozenTrial> RdbStorage::FinishTrial(int64_t study_id, int number, TrialState state,
                                            std::optional<double> value, const nlohmann::json& system_attrs,
                                            const nlohmann::json& user_attrs, const std::vector<double>& values) {
  return Guarded([&]() -> Result<FrozenTrial> {
    WriteTransaction transaction(*session_, study_id);
    KNOB_ASSIGN_OR_RETURN(int64_t trial_id, LocateRunningTrial(study_id, number));
    session_->Exec("UPDATE trials SET state = ?, datetime_complete = ? WHERE trial_id = ?",
                   {std::string(TrialStateName(state)), NowText(), trial_id});
    std::vector<double> all = values.empty() && value ? std::vector<double>{*value} : values;
    for (size_t objective = 0; objective < all.size(); ++objective)
      session_->Exec("INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, ?, ?, ?)",
                     {trial_id, static_cast<int64_t>(objective), ValueOrNull(all[objective]),
                      std::string(ValueType(all[objective]))});
    UpsertAttrs("trial_system_attributes", trial_id, system_attrs);
    UpsertAttrs("trial_user_attributes", trial_id, user_attrs);
    transaction.Commit();
    return ReadTrial(study_id, number);
  });
}

Status RdbStorage::SetTrialUserAttr(int64_t study_id, int number, const std::string& key,
                                    const nlohmann::json& value) {
  return SetTrialAttrs("trial_user_attributes", study_id, number, nlohmann::json{{key, value}});
}

Status RdbStorage::SetTrialSystemAttrs(int64_t study_id, int number, const nlohmann::json& attrs) {
  return SetTrialAttrs("trial_system_attributes", study_id, number, attrs);
}

Status RdbStorage::SetTrialAttrs(const char* table, int64_t study_id, int number, const nlohmann::json& attrs) {
  return Guarded([&]() -> Status {
    WriteTransaction transaction(*session_, study_id);
    KNOB_ASSIGN_OR_RETURN(int64_t trial_id, LocateRunningTrial(study_id, number));
    UpsertAttrs(table, trial_id, attrs);
    transaction.Commit();
    return {};
  });
}

Status RdbStorage::SetTrialParam(int64_t study_id, int number, const std::string& name,
                                 const TrialParam& param) {
  return Guarded([&]() -> Status {
    WriteTransaction transaction(*session_, study_id);
    KNOB_ASSIGN_OR_RETURN(int64_t trial_id, LocateRunningTrial(study_id, number));
    bool exists = false;
    session_->Query("SELECT 1 FROM trial_params WHERE trial_id = ? AND param_name = ?", {trial_id, name},
                    [&](const SqlRow&) { exists = true; });
    if (exists) return ParamExistsError(number, name);
    InsertParams(trial_id, {{name, param}});
    transaction.Commit();
    return {};
  });
}

Status RdbStorage::RecordHeartbeats(int64_t study_id, const std::vector<int>& numbers) {
  if (numbers.empty()) return {};
  return Guarded([&]() -> Status {
    WriteTransaction transaction(*session_, study_id);
    for (int number : numbers) {
      auto located = LocateTrial(study_id, number);
      if (located.ok() && located->second == TrialState::kRunning) UpsertHeartbeat(located->first);
    }
    transaction.Commit();
    return {};
  });
}

Result<std::map<int, double>> RdbStorage::HeartbeatAges(int64_t study_id) {
  return Guarded([&]() -> Result<std::map<int, double>> {
    std::map<int, double> ages;
    session_->Query("SELECT t.number, " + session_->SecondsSince("h.heartbeat") +
                        " FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
                        "WHERE t.study_id = ? AND t.state = 'RUNNING'",
                    {study_id}, [&](const SqlRow& row) { ages[static_cast<int>(row.Int(0))] = row.Double(1); });
    return ages;
  });
}

Result<StudySnapshot> RdbStorage::ReadStudy(int64_t study_id, const SnapshotParts& parts) {
  return Guarded([&]() -> Result<StudySnapshot> {
    // One read transaction, so that trials created meanwhile by other processes
    // appear in all of the snapshot's tables or in none.
    auto transaction = WriteTransaction::ForReading(*session_);
    StudySnapshot snapshot = ReadSnapshot(study_id, std::nullopt, nullptr, parts);
    transaction.Commit();
    return snapshot;
  });
}

Result<FrozenTrial> RdbStorage::ReadTrial(int64_t study_id, int number) {
  // The same reading code as a snapshot, restricted to one number.
  return Guarded([&]() -> Result<FrozenTrial> {
    auto transaction = WriteTransaction::ForReading(*session_);
    StudySnapshot snapshot = ReadSnapshot(study_id, number, nullptr, SnapshotParts::All());
    transaction.Commit();
    if (snapshot.trials.empty()) return UnknownTrialError(number);
    return std::move(snapshot.trials.front());
  });
}

Result<StudySnapshot> RdbStorage::ReadChangedTrials(int64_t study_id, const TrialChanges& since) {
  return Guarded([&]() -> Result<StudySnapshot> {
    auto transaction = WriteTransaction::ForReading(*session_);
    StudySnapshot snapshot = ReadSnapshot(study_id, std::nullopt, &since, SnapshotParts::All());
    transaction.Commit();
    return snapshot;
  });
}

}  // namespace knob
