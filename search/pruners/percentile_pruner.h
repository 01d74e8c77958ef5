// Prunes a trial whose best value so far is worse than a percentile of the
// values COMPLETE trials had at the same step (Optuna's PercentilePruner; the
// median pruner is percentile 50). Built by pruner_factory.h.
#pragma once

#include "search/pruners/pruner.h"

namespace knob {

struct PercentileOptions {
  double percentile = 50;
  int n_startup_trials = 5;  // COMPLETE trials needed before any pruning
  int n_warmup_steps = 0;    // steps below this are never pruned
  int interval_steps = 1;
  int n_min_trials = 1;      // COMPLETE trials reporting this step needed
};

class PercentilePruner : public Pruner {
 public:
  explicit PercentilePruner(PercentileOptions options) : options_(options) {}
  PruneDecision Prune(const StudySnapshot& study, const FrozenTrial& trial) const override;

 private:
  PercentileOptions options_;
};

}  // namespace knob
