#include "search/samplers/tpe/trial_ranking.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "search/hypervolume.h"
#include "search/pareto.h"

namespace knob {

namespace {

// The objectives of a COMPLETE trial, all to be minimised.
std::vector<double> Losses(const FrozenTrial& t, const std::vector<StudyDirection>& directions) {
  std::vector<double> loss = t.values;
  for (size_t d = 0; d < loss.size(); ++d)
    if (directions[d] == StudyDirection::kMaximize) loss[d] = -loss[d];
  return loss;
}

// Several objectives (Optuna 3.1's multi-objective TPE). The good side: feasible
// COMPLETE trials by whole non-dominated fronts while they fit, the front that does
// not fit by greedy hypervolume subset selection; when the feasible trials are too
// few, all of them and the least violating infeasible ones. The rest: the other
// feasible trials by front and crowding distance, infeasible ones by violation,
// PRUNED ones, running ones (liar), failed ones.
RankedTrials RankSeveral(const StudySnapshot& study, bool constant_liar, const std::function<int(int)>& number_below) {
  constexpr double kEps = 1e-12;
  RankedTrials result;
  std::vector<const FrozenTrial*> feasible, infeasible, pruned, running, failed;
  for (const auto& t : study.trials) {
    if (t.state == TrialState::kComplete && t.values.size() == study.directions.size()) {
      (IsFeasible(t) ? feasible : infeasible).push_back(&t);
    } else if (t.state == TrialState::kPruned) {
      pruned.push_back(&t);
    } else if (t.state == TrialState::kRunning && constant_liar && !t.params.empty()) {
      running.push_back(&t);
    } else if (t.state == TrialState::kFail && !t.params.empty()) {
      failed.push_back(&t);
    }
  }
  result.n_finished = static_cast<int>(feasible.size() + infeasible.size() + pruned.size());
  size_t n_below = std::min<size_t>(std::max(0, number_below(result.n_finished)), result.n_finished);
  std::stable_sort(infeasible.begin(), infeasible.end(), [](const FrozenTrial* a, const FrozenTrial* b) {
    return ConstraintViolation(*a) < ConstraintViolation(*b);
  });
  std::vector<std::vector<double>> losses;
  for (const FrozenTrial* t : feasible) losses.push_back(Losses(*t, study.directions));
  std::vector<std::vector<size_t>> fronts = NonDominatedFronts(losses, std::vector<StudyDirection>(
                                                                           study.directions.size(), StudyDirection::kMinimize));
  std::vector<bool> below(feasible.size(), false);
  size_t taken = 0;
  for (const auto& front : fronts) {
    if (taken >= n_below) break;
    if (taken + front.size() <= n_below) {
      for (size_t i : front) below[i] = true;
      taken += front.size();
      continue;
    }
    std::vector<std::vector<double>> points;
    for (size_t i : front) points.push_back(losses[i]);
    for (size_t k : GreedyHypervolumeSubset(points, n_below - taken, ReferencePointOf(points))) below[front[k]] = true;
    taken = n_below;
  }
  // The good side in trial order, then the rest.
  std::vector<std::vector<double>> below_losses;
  for (size_t i = 0; i < feasible.size(); ++i)
    if (below[i]) {
      result.ranked.push_back(feasible[i]);
      below_losses.push_back(losses[i]);
    }
  // Infeasible ones, when the feasible are too few (PRUNED ones count in n_below too).
  size_t extra = std::min(n_below - result.ranked.size(), infeasible.size());
  if (below_losses.size() == 1) {
    result.below_weights = {1.0};
  } else if (!below_losses.empty()) {
    std::vector<double> contributions = HypervolumeContributions(below_losses, ReferencePointOf(below_losses));
    // An infinite loss makes volumes infinite and contributions inf or NaN: such a
    // trial weighs fully, as the largest finite contribution does.
    double most = 0;
    for (double& c : contributions) {
      c = std::isfinite(c) ? c + kEps : INFINITY;
      if (std::isfinite(c)) most = std::max(most, c);
    }
    for (double c : contributions)
      result.below_weights.push_back(std::isfinite(c) ? std::clamp(c / most, 0.0, 1.0) : 1.0);
  }
  result.ranked.insert(result.ranked.end(), infeasible.begin(), infeasible.begin() + extra);
  if (below_losses.empty()) {
    // No feasible trial yet: the least violating ones guide the search with TPE's
    // usual weights. (Optuna gives them a weight of almost 0, which leaves the good
    // side to the prior alone; on C2-DTLZ2 that never found a feasible point.)
    result.below_weights.clear();
  } else {
    result.below_weights.resize(result.ranked.size(), kEps);  // infeasible ones weigh almost nothing
  }
  result.n_below = result.ranked.size();
  for (const auto& front : fronts) {
    std::vector<const FrozenTrial*> rest;
    for (size_t i : front)
      if (!below[i]) rest.push_back(feasible[i]);
    std::vector<double> distance = CrowdingDistances(rest);
    std::vector<size_t> order(rest.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return distance[a] != distance[b] ? distance[a] > distance[b] : rest[a]->number < rest[b]->number;
    });
    for (size_t i : order) result.ranked.push_back(rest[i]);
  }
  result.ranked.insert(result.ranked.end(), infeasible.begin() + extra, infeasible.end());
  for (auto* group : {&pruned, &running, &failed}) result.ranked.insert(result.ranked.end(), group->begin(), group->end());
  return result;
}

}  // namespace

RankedTrials RankTrials(const StudySnapshot& study, bool constant_liar, const std::function<int(int)>& number_below) {
  if (study.IsMultiObjective()) return RankSeveral(study, constant_liar, number_below);
  double sign = study.direction == StudyDirection::kMaximize ? -1.0 : 1.0;
  // Sort key: (group, -last step, value to minimise, number).
  using Key = std::tuple<int, int64_t, double, int>;
  std::vector<std::pair<Key, const FrozenTrial*>> keyed;
  RankedTrials result;
  for (const auto& t : study.trials) {
    if (t.state == TrialState::kComplete && t.value) {
      // With constraints (Optuna's constraints_func), infeasible trials rank after
      // every feasible one, the least violating first.
      if (IsFeasible(t)) keyed.push_back({{0, 0, sign * *t.value, t.number}, &t});
      else keyed.push_back({{1, 0, ConstraintViolation(t), t.number}, &t});
    } else if (t.state == TrialState::kPruned) {
      if (t.intermediate_values.empty()) {
        keyed.push_back({{3, 0, 0.0, t.number}, &t});
      } else {
        auto last = t.intermediate_values.rbegin();
        double v = std::isnan(last->second) ? INFINITY : sign * last->second;
        keyed.push_back({{2, -last->first, v, t.number}, &t});
      }
    } else if (t.state == TrialState::kRunning && constant_liar && !t.params.empty()) {
      keyed.push_back({{4, 0, 0.0, t.number}, &t});
      continue;
    } else if (t.state == TrialState::kFail && !t.params.empty()) {
      keyed.push_back({{5, 0, 0.0, t.number}, &t});  // bad, and not counted by gamma
      continue;
    } else {
      continue;
    }
    ++result.n_finished;
  }
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, trial] : keyed) result.ranked.push_back(trial);
  result.n_below = std::min<size_t>(std::max(0, number_below(result.n_finished)), result.n_finished);
  return result;
}

}  // namespace knob
