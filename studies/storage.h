// The Storage interface: where studies and their trials live. Implementations
// (SQLite, in memory; later PostgreSQL) keep Optuna's data model and are safe for
// many processes (or threads) at once: trial numbers are handed out atomically and
// no write is lost. Rules every implementation enforces: a finished trial never
// changes; a WAITING trial takes no values until it is asked for.
// Called by Study (ask/tell) and by the command line's read-only listings.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/trial.h"

namespace knob {

// A study as stored, without its trials.
struct StudyRecord {
  int64_t study_id = -1;
  std::string name;
  StudyDirection direction = StudyDirection::kMinimize;  // the first objective's
  std::vector<StudyDirection> directions = {};  // every objective's, in order (at least one)
  nlohmann::json user_attrs = nlohmann::json::object();
  nlohmann::json system_attrs = nlohmann::json::object();
};

// What an ask decided, from a snapshot read inside the storage's write transaction.
struct TrialPlan {
  std::optional<int> waiting_number;  // hand out this WAITING trial; else create a new one
  std::map<std::string, TrialParam> params;
  nlohmann::json system_attrs = nlohmann::json::object();  // added to the trial's
  bool heartbeat = false;  // record the trial's first heartbeat in the same transaction
};

// What a reader saw of a study at its last look, so that the next read brings only
// what changed since: the trials created after `after_trial_id`, and those of
// `open_trial_ids` (the ones it saw unfinished; finished trials never change).
struct TrialChanges {
  int64_t after_trial_id = -1;
  std::vector<int64_t> open_trial_ids = {};
};

// Decides a new trial from the study as it is inside the transaction.
using TrialPlanner = std::function<Result<TrialPlan>(const StudySnapshot&)>;

class Storage {
 public:
  virtual ~Storage() = default;

  // Bad input when a study of that name exists. One direction per objective.
  Result<int64_t> CreateStudy(const std::string& name, StudyDirection direction, const nlohmann::json& system_attrs) {
    return CreateStudy(name, std::vector<StudyDirection>{direction}, system_attrs);
  }
  virtual Result<int64_t> CreateStudy(const std::string& name, const std::vector<StudyDirection>& directions,
                                      const nlohmann::json& system_attrs) = 0;
  // Bad input when no study has that name.
  virtual Result<StudyRecord> FindStudy(const std::string& name) = 0;
  virtual Result<std::vector<StudyRecord>> ListStudies() = 0;
  virtual Status DeleteStudy(int64_t study_id) = 0;
  virtual Status SetStudyUserAttr(int64_t study_id, const std::string& key,
                                  const nlohmann::json& value) = 0;
  virtual Status SetStudySystemAttr(int64_t study_id, const std::string& key,
                                    const nlohmann::json& value) = 0;

  // Atomically: reads the study (at least `parts` of its trials), asks `planner`
  // what to create, and creates a RUNNING trial (new, numbered next, or the planned
  // WAITING one) with the planned params.
  virtual Result<FrozenTrial> CreateTrial(int64_t study_id, const SnapshotParts& parts,
                                         const TrialPlanner& planner) = 0;
  // Adds a WAITING trial (for enqueue); returns its number.
  virtual Result<int> CreateWaitingTrial(int64_t study_id, const nlohmann::json& user_attrs,
                                         const nlohmann::json& system_attrs) = 0;

  // Each of these fails with bad input for an unknown trial or one not RUNNING.
  virtual Status SetIntermediateValue(int64_t study_id, int number, int64_t step, double value) = 0;
  // `value` may be +-inf, never NaN. A study of several objectives gives every
  // objective's value in `values` (`value` is then the first).
  // `system_attrs` (a failure's reason, say) and `user_attrs` (a trainer's final
  // metrics) are written in the same transaction.
  virtual Result<FrozenTrial> FinishTrial(int64_t study_id, int number, TrialState state,
                                          std::optional<double> value,
                                          const nlohmann::json& system_attrs,
                                          const nlohmann::json& user_attrs = nlohmann::json::object(),
                                          const std::vector<double>& values = {}) = 0;
  virtual Status SetTrialUserAttr(int64_t study_id, int number, const std::string& key,
                                  const nlohmann::json& value) = 0;
  // Adds or replaces system attributes of a RUNNING trial (a pruner's rung values).
  virtual Status SetTrialSystemAttrs(int64_t study_id, int number, const nlohmann::json& attrs) = 0;
  // Adds a parameter to a RUNNING trial (define-by-run: a trainer's suggestion of a
  // parameter the space does not declare); bad input when the trial has it already.
  virtual Status SetTrialParam(int64_t study_id, int number, const std::string& name,
                               const TrialParam& param) = 0;

  // Heartbeats, timed by the storage's own clock (the database server's, for a
  // shared study), so that workers on machines with skewed clocks agree. Numbers of
  // trials no longer RUNNING are skipped.
  virtual Status RecordHeartbeats(int64_t study_id, const std::vector<int>& numbers) = 0;
  // Seconds since the last heartbeat of each RUNNING trial that beats, by number.
  virtual Result<std::map<int, double>> HeartbeatAges(int64_t study_id) = 0;
  // RUNNING trials whose last heartbeat is older than `grace_seconds`. Trials that
  // never beat (asked through the command line) are never stale.
  Result<std::vector<int>> StaleTrials(int64_t study_id, double grace_seconds);

  // Runtime error when the storage is no longer the one opened (its file was
  // deleted or replaced under a running study); a long run checks it now and then.
  virtual Status CheckIntact() { return {}; }

  virtual Result<StudySnapshot> ReadStudy(int64_t study_id,
                                          const SnapshotParts& parts = SnapshotParts::All()) = 0;
  virtual Result<FrozenTrial> ReadTrial(int64_t study_id, int number) = 0;
  // The trials `since` names, whole, in one read transaction (a dashboard's poll).
  // This default reads the whole study and keeps those.
  virtual Result<StudySnapshot> ReadChangedTrials(int64_t study_id, const TrialChanges& since);
};

// The trial that `plan` makes of `base` (a WAITING trial, or a new one already
// numbered): RUNNING since `now`, with the planned params and system attributes.
// Storages return it from CreateTrial without reading it back.
FrozenTrial ApplyPlan(FrozenTrial base, const TrialPlan& plan, const std::string& now);

// Shared wording of the storage rules, so every implementation says the same.
Error UnknownTrialError(int number);
Error NotRunningError(int number, TrialState state);
Error ParamExistsError(int number, const std::string& name);

}  // namespace knob
