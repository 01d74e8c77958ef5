// Hyperband (Optuna's HyperbandPruner): several successive-halving brackets with
// growing min_early_stopping_rate; each trial belongs to one bracket, chosen by a
// CRC32 of "{study}_{number}" as Optuna chooses it, and competes only with the
// trials of its bracket. Built by pruner_factory.h.
#pragma once

#include <optional>
#include <vector>

#include "search/pruners/pruner.h"
#include "search/pruners/successive_halving_pruner.h"

namespace knob {

struct HyperbandOptions {
  int64_t min_resource = 1;
  std::optional<int64_t> max_resource;  // none: "auto", the longest COMPLETE trial + 1
  int reduction_factor = 3;
  int bootstrap_count = 0;
};

class HyperbandPruner : public Pruner {
 public:
  explicit HyperbandPruner(HyperbandOptions options) : options_(options) {}
  SnapshotParts PartsNeeded() const override;
  PruneDecision Prune(const StudySnapshot& study, const FrozenTrial& trial) const override;

  // The trials each bracket is allotted (empty while max_resource is unknown).
  std::vector<int> BracketBudgets(const StudySnapshot& study) const;
  static int BracketOf(const std::string& study_name, int number, const std::vector<int>& budgets);

 private:
  HyperbandOptions options_;
};

}  // namespace knob
