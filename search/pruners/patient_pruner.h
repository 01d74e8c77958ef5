// Optuna's PatientPruner: asks its wrapped pruner (or prunes, with none) only once
// the trial has not improved by `min_delta` for `patience` steps. Built by
// pruner_factory.h.
#pragma once

#include <memory>

#include "search/pruners/pruner.h"

namespace knob {

class PatientPruner : public Pruner {
 public:
  PatientPruner(std::unique_ptr<Pruner> wrapped, int patience, double min_delta)
      : wrapped_(std::move(wrapped)), patience_(patience), min_delta_(min_delta) {}
  SnapshotParts PartsNeeded() const override;
  PruneDecision Prune(const StudySnapshot& study, const FrozenTrial& trial) const override;

 private:
  std::unique_ptr<Pruner> wrapped_;  // may be null
  int patience_;
  double min_delta_;
};

}  // namespace knob
