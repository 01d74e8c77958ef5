// Hypervolume of points to be minimised, against a reference point: the volume
// of the region they dominate inside the reference's box (WFG, While et al. 2012,
// the algorithm Optuna's `optuna._hypervolume.WFG` implements), and the greedy
// hypervolume subset selection Optuna 3.1's multi-objective TPE splits with.
// Points not better than the reference in every objective add nothing. Pure.
#pragma once

#include <cstddef>
#include <vector>

namespace knob {

double Hypervolume(std::vector<std::vector<double>> points, const std::vector<double>& reference);

// Optuna's reference point for a set: 1.1 x the worst value of each objective (0.9 x
// when negative), a tiny positive number where that is 0.
std::vector<double> ReferencePointOf(const std::vector<std::vector<double>>& points);

// `k` of `points` chosen greedily, each adding the most hypervolume to those before
// (a 1 - 1/e approximation; Optuna 3.1's _solve_hssp): their indices, in the
// order chosen.
std::vector<size_t> GreedyHypervolumeSubset(const std::vector<std::vector<double>>& points, size_t k,
                                            const std::vector<double>& reference);

// Each point's exclusive contribution (the hypervolume lost without it).
std::vector<double> HypervolumeContributions(const std::vector<std::vector<double>>& points,
                                             const std::vector<double>& reference);

}  // namespace knob
