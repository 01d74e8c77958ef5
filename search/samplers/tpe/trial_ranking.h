// Which trials TPE learns from and in what order: finished trials ranked best
// first (COMPLETE by value, feasible before infeasible; then PRUNED, those that got
// further first and by their last value; then PRUNED without reports), running
// trials after them when the constant liar is on, and FAILED trials last (so TPE
// moves away from where trials crash; Optuna ignores them). The first `n_below`
// ranked trials form the "good" side; gamma counts only finished trials. Several objectives split as Optuna 3.1's multi-objective
// TPE does: whole non-dominated fronts while they fit, then the front that does
// not fit by greedy hypervolume subset selection; the good side's trials are
// weighted by their hypervolume contributions.
#pragma once

#include <functional>
#include <vector>

#include "search/trial.h"

namespace knob {

struct RankedTrials {
  std::vector<const FrozenTrial*> ranked;  // best first; running (liar), then failed trials at the end
  int n_finished = 0;                      // COMPLETE + PRUNED
  size_t n_below = 0;                      // the good side: ranked[0, n_below)
  // Several objectives: the weight of each of ranked[0, n_below) (empty: TPE's
  // usual weights by age).
  std::vector<double> below_weights = {};
};

// `number_below` maps the number of finished trials to the good side's size (gamma).
RankedTrials RankTrials(const StudySnapshot& study, bool constant_liar,
                        const std::function<int(int)>& number_below);

}  // namespace knob
