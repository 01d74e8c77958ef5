// Studies of several objectives: which values dominate which, feasibility under
// constraints (Optuna 3.1's `constraints` system attribute of a trial: a list of
// numbers, and Optuna 5's `constraints:<key>` ones, one number each; feasible when
// every one is <= 0), the Pareto front of a study, and the
// non-dominated sorting NSGA-II ranks by. Pure functions of snapshots.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "search/trial.h"

namespace knob {

inline constexpr const char* kConstraintsAttr = "constraints";

// The trial's constraint values, if it has any (a malformed attribute counts as none).
std::optional<std::vector<double>> ConstraintsOf(const FrozenTrial& trial);
// No constraints, or all <= 0 (NaN is infeasible).
bool IsFeasible(const FrozenTrial& trial);
// How far from feasible: the sum of the positive constraint values (0 when feasible).
double ConstraintViolation(const FrozenTrial& trial);

// `a` is at least as good as `b` in every objective and better in one.
bool Dominates(const std::vector<double>& a, const std::vector<double>& b,
               const std::vector<StudyDirection>& directions);

// The COMPLETE, feasible trials that no other such trial dominates, by number (as
// Optuna's best_trials, restricted to feasible trials).
std::vector<const FrozenTrial*> ParetoFront(const StudySnapshot& study);

// Crowding distance of each member of one front of trials with values (infinite at
// each objective's ends, and for fronts of at most two).
std::vector<double> CrowdingDistances(const std::vector<const FrozenTrial*>& front);

// Non-dominated sorting under any dominance relation over n points: the first
// front holds those nothing dominates, the next those dominated only by the first...
std::vector<std::vector<size_t>> FrontsBy(size_t n, const std::function<bool(size_t, size_t)>& dominates);

// Fronts of `points` (indices): the first holds the non-dominated ones, the next
// those dominated only by the first, and so on.
std::vector<std::vector<size_t>> NonDominatedFronts(const std::vector<std::vector<double>>& points,
                                                    const std::vector<StudyDirection>& directions);

}  // namespace knob
