// The Pruner interface: after a trial reports an intermediate value, decides from a
// snapshot of the study whether the trial should stop early. Pruners are pure
// functions of the snapshot; what they must remember between calls (the rung values
// of successive halving) they return as trial system attributes for the caller to
// store. Called by Study::Report; built by pruner_factory.h.
#pragma once

#include <nlohmann/json.hpp>

#include "search/trial.h"

namespace knob {

struct PruneDecision {
  bool prune = false;
  // To be stored on the trial before the decision is acted on.
  nlohmann::json system_attrs = nlohmann::json::object();
};

class Pruner {
 public:
  virtual ~Pruner() = default;
  // Which parts of the study's trials Prune reads.
  virtual SnapshotParts PartsNeeded() const { return {false, false, true, false, false}; }
  // `trial` is the reporting trial as stored, its latest report included; `study`
  // holds every trial of the study (that one too).
  virtual PruneDecision Prune(const StudySnapshot& study, const FrozenTrial& trial) const = 0;
};

// Never prunes.
class NopPruner : public Pruner {
 public:
  SnapshotParts PartsNeeded() const override { return SnapshotParts::Minimal(); }
  PruneDecision Prune(const StudySnapshot&, const FrozenTrial&) const override { return {}; }
};

// Optuna's rule shared by the percentile and threshold pruners: with warm-up
// `n_warmup_steps` and interval `interval_steps`, a step is checked only when it
// is the trial's first report at or after an interval boundary.
bool IsFirstInIntervalStep(int64_t step, const std::map<int64_t, double>& intermediate_values,
                           int64_t n_warmup_steps, int64_t interval_steps);

}  // namespace knob
