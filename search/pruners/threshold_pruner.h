// Prunes a trial whose latest value is NaN or outside [lower, upper] (Optuna's
// ThresholdPruner), after warm-up and on interval steps. Built by pruner_factory.h.
#pragma once

#include <optional>

#include "search/pruners/pruner.h"

namespace knob {

struct ThresholdOptions {
  std::optional<double> lower;
  std::optional<double> upper;
  int n_warmup_steps = 0;
  int interval_steps = 1;
};

class ThresholdPruner : public Pruner {
 public:
  explicit ThresholdPruner(ThresholdOptions options) : options_(options) {}
  SnapshotParts PartsNeeded() const override { return SnapshotParts::Minimal(); }
  PruneDecision Prune(const StudySnapshot& study, const FrozenTrial& trial) const override;

 private:
  ThresholdOptions options_;
};

}  // namespace knob
