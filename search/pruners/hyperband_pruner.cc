#include "search/pruners/hyperband_pruner.h"

#include <cmath>
#include <numeric>

#include <zlib.h>

namespace knob {

SnapshotParts HyperbandPruner::PartsNeeded() const {
  return {false, false, !options_.max_resource.has_value(), false};
}

std::vector<int> HyperbandPruner::BracketBudgets(const StudySnapshot& study) const {
  std::optional<int64_t> max_resource = options_.max_resource;
  if (!max_resource) {
    for (const auto& t : study.trials)
      if (t.state == TrialState::kComplete && !t.intermediate_values.empty())
        max_resource = std::max(max_resource.value_or(0), t.intermediate_values.rbegin()->first + 1);
    if (!max_resource) return {};
  }
  // Python's math.log(x, base), computed the same way, so brackets match Optuna's.
  double ratio = static_cast<double>(*max_resource) / static_cast<double>(options_.min_resource);
  int n_brackets = static_cast<int>(std::floor(std::log(ratio) / std::log(options_.reduction_factor))) + 1;
  n_brackets = std::max(n_brackets, 1);
  std::vector<int> budgets;
  for (int b = 0; b < n_brackets; ++b) {
    int s = n_brackets - 1 - b;
    budgets.push_back(static_cast<int>(
        std::ceil(n_brackets * std::pow(static_cast<double>(options_.reduction_factor), s) / (s + 1))));
  }
  return budgets;
}

int HyperbandPruner::BracketOf(const std::string& study_name, int number,
                               const std::vector<int>& budgets) {
  if (budgets.empty()) return 0;
  std::string key = study_name + "_" + std::to_string(number);
  uint32_t crc = static_cast<uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(key.data()), static_cast<uInt>(key.size())));
  int64_t n = crc % std::accumulate(budgets.begin(), budgets.end(), 0);
  for (size_t b = 0; b < budgets.size(); ++b) {
    n -= budgets[b];
    if (n < 0) return static_cast<int>(b);
  }
  return static_cast<int>(budgets.size()) - 1;
}

PruneDecision HyperbandPruner::Prune(const StudySnapshot& study, const FrozenTrial& trial) const {
  std::vector<int> budgets = BracketBudgets(study);
  if (budgets.empty()) return {};
  int bracket = BracketOf(study.name, trial.number, budgets);
  StudySnapshot bracket_study{study.study_id, study.name, study.direction, {}};
  for (const auto& t : study.trials)
    if (BracketOf(study.name, t.number, budgets) == bracket) bracket_study.trials.push_back(t);
  SuccessiveHalvingPruner pruner({options_.min_resource, options_.reduction_factor, bracket,
                                  options_.bootstrap_count});
  return pruner.Prune(bracket_study, trial);
}

}  // namespace knob
