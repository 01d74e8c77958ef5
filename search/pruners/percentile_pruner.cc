#include "search/pruners/percentile_pruner.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace knob {

bool IsFirstInIntervalStep(int64_t step, const std::map<int64_t, double>& intermediate_values,
                           int64_t n_warmup_steps, int64_t interval_steps) {
  int64_t nearest_lower = (step - n_warmup_steps) / interval_steps * interval_steps + n_warmup_steps;
  int64_t second_last = -1;
  for (const auto& [s, value] : intermediate_values)
    if (s > second_last && s != step) second_last = s;
  return second_last < nearest_lower;
}

namespace {

// numpy's nanpercentile with linear interpolation; NaN when no value is a number.
double NanPercentile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }),
               values.end());
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  double rank = q / 100.0 * static_cast<double>(values.size() - 1);
  size_t below = static_cast<size_t>(std::floor(rank));
  size_t above = std::min(below + 1, values.size() - 1);
  double fraction = rank - static_cast<double>(below);
  return values[below] + (values[above] - values[below]) * fraction;
}

// The trial's best reported value (NaN when all are NaN).
double BestIntermediate(const FrozenTrial& trial, StudyDirection direction) {
  double best = NAN;
  for (const auto& [step, value] : trial.intermediate_values) {
    if (std::isnan(value)) continue;
    if (std::isnan(best) || (direction == StudyDirection::kMaximize ? value > best : value < best))
      best = value;
  }
  return best;
}

}  // namespace

PruneDecision PercentilePruner::Prune(const StudySnapshot& study, const FrozenTrial& trial) const {
  std::vector<const FrozenTrial*> completed;
  for (const auto& t : study.trials)
    if (t.state == TrialState::kComplete) completed.push_back(&t);
  if (completed.empty() || static_cast<int>(completed.size()) < options_.n_startup_trials) return {};
  if (trial.intermediate_values.empty()) return {};
  int64_t step = trial.intermediate_values.rbegin()->first;
  if (step < options_.n_warmup_steps) return {};
  if (!IsFirstInIntervalStep(step, trial.intermediate_values, options_.n_warmup_steps,
                             options_.interval_steps))
    return {};
  double best = BestIntermediate(trial, study.direction);
  if (std::isnan(best)) return {true};
  std::vector<double> at_step;
  for (const FrozenTrial* t : completed)
    if (auto it = t->intermediate_values.find(step); it != t->intermediate_values.end())
      at_step.push_back(it->second);
  if (static_cast<int>(at_step.size()) < options_.n_min_trials) return {};
  bool maximize = study.direction == StudyDirection::kMaximize;
  double p = NanPercentile(std::move(at_step), maximize ? 100 - options_.percentile : options_.percentile);
  if (std::isnan(p)) return {};
  return {maximize ? best < p : best > p};
}

}  // namespace knob
