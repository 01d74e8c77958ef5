// Asynchronous successive halving (ASHA; Optuna's SuccessiveHalvingPruner): rung r
// is reached at step min_resource * reduction_factor^(min_early_stopping_rate + r);
// a trial reaching a rung goes on only if its value is in the top
// 1/reduction_factor of all values recorded at that rung so far. Rung values are
// kept as trial system attributes `completed_rung_{r}`, as Optuna keeps them.
// Built by pruner_factory.h; the hyperband pruner runs one per bracket.
#pragma once

#include <optional>

#include "search/pruners/pruner.h"

namespace knob {

struct SuccessiveHalvingOptions {
  std::optional<int64_t> min_resource;  // none: "auto", 1% of the longest COMPLETE trial
  int reduction_factor = 4;
  int min_early_stopping_rate = 0;
  int bootstrap_count = 0;  // values needed at a rung before anyone is promoted
};

class SuccessiveHalvingPruner : public Pruner {
 public:
  explicit SuccessiveHalvingPruner(SuccessiveHalvingOptions options) : options_(options) {}
  SnapshotParts PartsNeeded() const override;
  PruneDecision Prune(const StudySnapshot& study, const FrozenTrial& trial) const override;

 private:
  SuccessiveHalvingOptions options_;
};

// The key under which a trial's value at rung `rung` is kept.
std::string CompletedRungKey(int rung);

}  // namespace knob
