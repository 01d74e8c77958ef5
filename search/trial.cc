#include "search/trial.h"

#include "search/pareto.h"

namespace knob {

const char* TrialStateName(TrialState state) {
  switch (state) {
    case TrialState::kRunning: return "RUNNING";
    case TrialState::kComplete: return "COMPLETE";
    case TrialState::kPruned: return "PRUNED";
    case TrialState::kFail: return "FAIL";
    case TrialState::kWaiting: return "WAITING";
  }
  return "?";
}

std::optional<TrialState> ParseTrialState(std::string_view name) {
  for (auto s : {TrialState::kRunning, TrialState::kComplete, TrialState::kPruned,
                 TrialState::kFail, TrialState::kWaiting})
    if (name == TrialStateName(s)) return s;
  return std::nullopt;
}

bool IsFinished(TrialState state) {
  return state == TrialState::kComplete || state == TrialState::kPruned ||
         state == TrialState::kFail;
}

const char* DirectionName(StudyDirection direction) {
  return direction == StudyDirection::kMaximize ? "maximize" : "minimize";
}

Result<StudyDirection> ParseDirection(const std::string& name) {
  if (name == "minimize") return StudyDirection::kMinimize;
  if (name == "maximize") return StudyDirection::kMaximize;
  return Error::BadInput("direction must be minimize or maximize, got '" + name + "'");
}

std::string DirectionsText(const std::vector<StudyDirection>& directions) {
  std::string text;
  for (auto d : directions) text += (text.empty() ? "" : ",") + std::string(DirectionName(d));
  return text;
}

Result<std::vector<StudyDirection>> ParseDirections(const std::vector<std::string>& names) {
  std::vector<StudyDirection> directions;
  for (const auto& name : names) {
    KNOB_ASSIGN_OR_RETURN(StudyDirection d, ParseDirection(name));
    directions.push_back(d);
  }
  if (directions.empty()) return Error::BadInput("directions: give at least one of minimize or maximize");
  return directions;
}

nlohmann::json FrozenTrial::ParamsJson() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, param] : params) j[name] = param.External();
  return j;
}

bool StudySnapshot::IsBetter(double a, double b) const {
  return direction == StudyDirection::kMinimize ? a < b : a > b;
}

const FrozenTrial* StudySnapshot::BestTrial() const {
  const FrozenTrial* best = nullptr;
  bool best_feasible = false;
  for (const auto& t : trials) {
    if (t.state != TrialState::kComplete || !t.value) continue;
    bool feasible = IsFeasible(t);
    if (!best || (feasible && !best_feasible) ||
        (feasible == best_feasible && IsBetter(*t.value, *best->value))) {
      best = &t;
      best_feasible = feasible;
    }
  }
  return best;
}

}  // namespace knob
