// Which trials TPE learns from and in what order: finished trials ranked best
// first (COMPLETE by value, feasible before infeasible; then PRUNED, those that got
// further first and by their last value; then PRUNED without reports), running
// trials last when the constant liar is on. Several objectives rank by
// non-dominated front and crowding distance (Optuna's multi-objective TPE). The
// first `n_below` ranked trials form the "good" side.
#pragma once

#include <vector>

#include "search/trial.h"

namespace knob {

struct RankedTrials {
  std::vector<const FrozenTrial*> ranked;  // best first; running trials (liar) at the end
  int n_finished = 0;                      // COMPLETE + PRUNED
};

RankedTrials RankTrials(const StudySnapshot& study, bool constant_liar);

}  // namespace knob
