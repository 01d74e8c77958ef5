// The trial and study model that samplers, pruners, the study and the storages
// share: a FrozenTrial is an immutable copy of one trial as stored, a StudySnapshot
// a copy of a whole study at one moment. Snapshots, never live objects, pass
// between components. (It lives in search/ because samplers read it and search/
// depends on nothing else of ours; studies/ owns storing it.)
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/distribution.h"

namespace knob {

enum class TrialState { kRunning, kComplete, kPruned, kFail, kWaiting };
enum class StudyDirection { kMinimize, kMaximize };

// Optuna's enum names: RUNNING, COMPLETE, PRUNED, FAIL, WAITING.
const char* TrialStateName(TrialState state);
std::optional<TrialState> ParseTrialState(std::string_view name);
bool IsFinished(TrialState state);

// "minimize" / "maximize" as users write it; Optuna stores MINIMIZE / MAXIMIZE.
const char* DirectionName(StudyDirection direction);
Result<StudyDirection> ParseDirection(const std::string& name);
// "minimize" or "minimize,maximize".
std::string DirectionsText(const std::vector<StudyDirection>& directions);
// "minimize,maximize" (the command line) or the items of a list (a study file).
Result<std::vector<StudyDirection>> ParseDirections(const std::vector<std::string>& names);

struct TrialParam {
  Distribution distribution;
  double internal = 0;  // Optuna's representation; categoricals by choice index
  nlohmann::json External() const { return ToExternal(distribution, internal); }
};

struct FrozenTrial {
  int64_t trial_id = -1;  // the storage's key
  int number = -1;        // 0-based within its study
  TrialState state = TrialState::kRunning;
  std::map<std::string, TrialParam> params;
  std::optional<double> value;  // may be +-inf, never NaN; the first objective's
  std::vector<double> values = {};  // every objective's, in order, when it has a value
  std::map<int64_t, double> intermediate_values;
  nlohmann::json user_attrs = nlohmann::json::object();
  nlohmann::json system_attrs = nlohmann::json::object();
  std::string datetime_start;     // "YYYY-MM-DD HH:MM:SS.ffffff", empty when unset
  std::string datetime_complete;  // empty until finished

  // {"name": external value, ...}
  nlohmann::json ParamsJson() const;
};

// Which parts of its trials a reader of a study needs. Numbers and states are
// always read, and the system attributes of WAITING trials (their fixed params);
// the rest only when asked for, so that an ask whose sampler ignores history does
// not pay for reading it.
struct SnapshotParts {
  bool params = true;
  bool values = true;
  bool intermediate_values = true;
  bool user_attrs = true;
  bool system_attrs = true;  // of every trial
  bool times = true;         // datetime_start, datetime_complete
  bool constraints = true;   // the `constraints` system attributes (pareto.h), even without system_attrs

  static SnapshotParts All() { return {}; }
  // States and system attributes (a grid's points, ASHA's rungs).
  static SnapshotParts StatesOnly() { return {false, false, false, false, true, false, false}; }
  // States alone: what a budget or the random sampler needs.
  static SnapshotParts Minimal() { return {false, false, false, false, false, false, false}; }
};

struct StudySnapshot {
  int64_t study_id = -1;
  std::string name;
  StudyDirection direction = StudyDirection::kMinimize;  // the first objective's
  std::vector<FrozenTrial> trials;  // ordered by number
  std::vector<StudyDirection> directions = {};  // every objective's (empty: just `direction`)

  bool IsMultiObjective() const { return directions.size() > 1; }
  // Every objective's direction: `directions`, or just `direction` when it is empty.
  std::vector<StudyDirection> AllDirections() const { return directions.empty() ? std::vector{direction} : directions; }

  // True when `a` is a better objective value than `b` in this study's direction.
  bool IsBetter(double a, double b) const;
  // The COMPLETE trial with the best value (lowest number on ties), if any; a
  // feasible one (constraints.h) when there is one.
  const FrozenTrial* BestTrial() const;
};

}  // namespace knob
