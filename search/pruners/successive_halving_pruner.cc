#include "search/pruners/successive_halving_pruner.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace knob {

std::string CompletedRungKey(int rung) { return "completed_rung_" + std::to_string(rung); }

namespace {

// Optuna's "auto" min_resource: 1% of the longest COMPLETE trial, at least 1.
std::optional<int64_t> EstimateMinResource(const StudySnapshot& study) {
  std::optional<int64_t> longest;
  for (const auto& t : study.trials)
    if (t.state == TrialState::kComplete && !t.intermediate_values.empty())
      longest = std::max(longest.value_or(0), t.intermediate_values.rbegin()->first);
  if (!longest) return std::nullopt;
  return std::max<int64_t>(*longest / 100, 1);
}

bool Promotable(double value, std::vector<double> competing, int reduction_factor,
                StudyDirection direction) {
  std::sort(competing.begin(), competing.end());
  size_t k = competing.size() / reduction_factor;
  k = k == 0 ? 0 : k - 1;
  if (direction == StudyDirection::kMaximize) return value >= competing[competing.size() - 1 - k];
  return value <= competing[k];
}

}  // namespace

SnapshotParts SuccessiveHalvingPruner::PartsNeeded() const {
  // Rung values are system attributes, always read; "auto" needs trial lengths.
  return {false, false, !options_.min_resource.has_value(), false};
}

PruneDecision SuccessiveHalvingPruner::Prune(const StudySnapshot& study,
                                             const FrozenTrial& trial) const {
  PruneDecision decision;
  if (trial.intermediate_values.empty()) return decision;
  auto [step, value] = *trial.intermediate_values.rbegin();
  int rung = 0;
  while (trial.system_attrs.contains(CompletedRungKey(rung))) ++rung;
  std::optional<int64_t> min_resource = options_.min_resource;
  if (!min_resource) min_resource = EstimateMinResource(study);
  if (!min_resource) return decision;
  while (true) {
    double promotion_step = static_cast<double>(*min_resource) *
        std::pow(static_cast<double>(options_.reduction_factor), options_.min_early_stopping_rate + rung);
    if (static_cast<double>(step) < promotion_step) return decision;
    if (std::isnan(value)) {
      decision.prune = true;
      return decision;
    }
    std::string key = CompletedRungKey(rung);
    decision.system_attrs[key] = value;
    std::vector<double> competing;
    for (const auto& t : study.trials) {
      if (t.number == trial.number) continue;
      if (auto it = t.system_attrs.find(key); it != t.system_attrs.end() && it->is_number())
        competing.push_back(it->get<double>());
    }
    competing.push_back(value);
    if (static_cast<int>(competing.size()) <= options_.bootstrap_count ||
        !Promotable(value, std::move(competing), options_.reduction_factor, study.direction)) {
      decision.prune = true;
      return decision;
    }
    ++rung;
  }
}

}  // namespace knob
