#include "search/samplers/tpe/trial_ranking.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "search/pareto.h"

namespace knob {

namespace {

// Several objectives (Optuna's multi-objective TPE): COMPLETE feasible trials by
// non-dominated front, each front's most isolated (crowding distance) first; then
// infeasible ones by violation; then PRUNED ones (they have no values), by number.
RankedTrials RankSeveral(const StudySnapshot& study, bool constant_liar) {
  RankedTrials result;
  std::vector<const FrozenTrial*> feasible, infeasible, pruned, running;
  for (const auto& t : study.trials) {
    if (t.state == TrialState::kComplete && t.values.size() == study.directions.size()) {
      (IsFeasible(t) ? feasible : infeasible).push_back(&t);
    } else if (t.state == TrialState::kPruned) {
      pruned.push_back(&t);
    } else if (t.state == TrialState::kRunning && constant_liar && !t.params.empty()) {
      running.push_back(&t);
    }
  }
  std::vector<std::vector<double>> points;
  for (const FrozenTrial* t : feasible) points.push_back(t->values);
  for (const auto& front_indices : NonDominatedFronts(points, study.directions)) {
    std::vector<const FrozenTrial*> front;
    for (size_t i : front_indices) front.push_back(feasible[i]);
    std::vector<double> distance = CrowdingDistances(front);
    std::vector<size_t> order(front.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return distance[a] != distance[b] ? distance[a] > distance[b] : front[a]->number < front[b]->number;
    });
    for (size_t i : order) result.ranked.push_back(front[i]);
  }
  std::stable_sort(infeasible.begin(), infeasible.end(), [](const FrozenTrial* a, const FrozenTrial* b) {
    return ConstraintViolation(*a) < ConstraintViolation(*b);
  });
  for (auto* group : {&infeasible, &pruned, &running})
    result.ranked.insert(result.ranked.end(), group->begin(), group->end());
  result.n_finished = static_cast<int>(feasible.size() + infeasible.size() + pruned.size());
  return result;
}

}  // namespace

RankedTrials RankTrials(const StudySnapshot& study, bool constant_liar) {
  if (study.IsMultiObjective()) return RankSeveral(study, constant_liar);
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
    } else {
      continue;
    }
    ++result.n_finished;
  }
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, trial] : keyed) result.ranked.push_back(trial);
  return result;
}

}  // namespace knob
