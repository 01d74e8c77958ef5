#include "search/samplers/tpe/trial_ranking.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace knob {

RankedTrials RankTrials(const StudySnapshot& study, bool constant_liar) {
  double sign = study.direction == StudyDirection::kMaximize ? -1.0 : 1.0;
  // Sort key: (group, -last step, value to minimise, number).
  using Key = std::tuple<int, int64_t, double, int>;
  std::vector<std::pair<Key, const FrozenTrial*>> keyed;
  RankedTrials result;
  for (const auto& t : study.trials) {
    if (t.state == TrialState::kComplete && t.value) {
      keyed.push_back({{0, 0, sign * *t.value, t.number}, &t});
    } else if (t.state == TrialState::kPruned) {
      if (t.intermediate_values.empty()) {
        keyed.push_back({{2, 0, 0.0, t.number}, &t});
      } else {
        auto last = t.intermediate_values.rbegin();
        double v = std::isnan(last->second) ? INFINITY : sign * last->second;
        keyed.push_back({{1, -last->first, v, t.number}, &t});
      }
    } else if (t.state == TrialState::kRunning && constant_liar && !t.params.empty()) {
      keyed.push_back({{3, 0, 0.0, t.number}, &t});
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
