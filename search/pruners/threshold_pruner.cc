#include "search/pruners/threshold_pruner.h"

#include <cmath>

namespace knob {

PruneDecision ThresholdPruner::Prune(const StudySnapshot&, const FrozenTrial& trial) const {
  if (trial.intermediate_values.empty()) return {};
  auto [step, value] = *trial.intermediate_values.rbegin();
  if (step < options_.n_warmup_steps) return {};
  if (!IsFirstInIntervalStep(step, trial.intermediate_values, options_.n_warmup_steps,
                             options_.interval_steps))
    return {};
  if (std::isnan(value)) return {true};
  return {(options_.lower && value < *options_.lower) || (options_.upper && value > *options_.upper)};
}

}  // namespace knob
