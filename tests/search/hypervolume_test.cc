// Hypervolume (search/hypervolume) against exact counting on integer grids, and
// the multi-objective TPE split built on it (search/samplers/tpe/trial_ranking).
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>

#include "search/hypervolume.h"
#include "search/pareto.h"
#include "search/samplers/tpe/trial_ranking.h"

namespace knob {
namespace {

// The number of unit cells of [0, side)^dims that some point weakly dominates
// (a cell c is dominated by p when p <= c in every objective): the exact
// hypervolume of integer points against the reference (side, ..., side).
double CountDominatedCells(const std::vector<std::vector<double>>& points, int dims, int side) {
  int cells = 1;
  for (int d = 0; d < dims; ++d) cells *= side;
  double count = 0;
  for (int c = 0; c < cells; ++c) {
    std::vector<int> cell(dims);
    for (int d = 0, rest = c; d < dims; ++d, rest /= side) cell[d] = rest % side;
    for (const auto& p : points) {
      bool dominated = true;
      for (int d = 0; d < dims && dominated; ++d) dominated = p[d] <= cell[d];
      if (dominated) {
        ++count;
        break;
      }
    }
  }
  return count;
}

}  // namespace

TEST_CASE("hypervolume equals the count of dominated cells, in 2, 3 and 4 objectives") {
  std::mt19937 rng(5);
  for (int dims : {2, 3, 4}) {
    int side = dims == 4 ? 6 : 10;
    for (int round = 0; round < 40; ++round) {
      int n = 1 + static_cast<int>(rng() % 12);
      std::vector<std::vector<double>> points;
      for (int i = 0; i < n; ++i) {
        std::vector<double> p(dims);
        for (double& v : p) v = static_cast<double>(rng() % (side + 2));  // some on or past the reference
        points.push_back(p);
      }
      CAPTURE(dims);
      CAPTURE(round);
      CHECK(Hypervolume(points, std::vector<double>(dims, side)) == doctest::Approx(CountDominatedCells(points, dims, side)));
    }
  }
  CHECK(Hypervolume({}, {1, 1}) == 0);
  CHECK(Hypervolume({{0.5, 0.5}, {0.5, 0.5}}, {1, 1}) == doctest::Approx(0.25));
}

TEST_CASE("hypervolume contributions, the reference point, and greedy subset selection") {
  std::vector<std::vector<double>> points{{0, 3}, {1, 1}, {3, 0}, {2, 2}};  // {2,2} is dominated by {1,1}
  auto contributions = HypervolumeContributions(points, {4, 4});
  CHECK(contributions[3] == doctest::Approx(0));
  CHECK(contributions[1] == doctest::Approx(3));  // [1,3) x [1,3), less [2,3) x [2,3) that {2,2} still holds
  CHECK(contributions[0] == doctest::Approx(1));
  auto chosen = GreedyHypervolumeSubset(points, 2, {4, 4});
  REQUIRE(chosen.size() == 2);
  CHECK(chosen[0] == 1);  // the largest box first: (4-1) x (4-1) = 9
  // Greedy is never worse than any other pair by more than 1 - 1/e; here it is optimal.
  double best_pair = 0;
  for (size_t a = 0; a < points.size(); ++a)
    for (size_t b = a + 1; b < points.size(); ++b) best_pair = std::max(best_pair, Hypervolume({points[a], points[b]}, {4, 4}));
  CHECK(Hypervolume({points[chosen[0]], points[chosen[1]]}, {4, 4}) == doctest::Approx(best_pair));
  CHECK(ReferencePointOf({{1, -2}, {3, -4}}) == std::vector<double>{3.3000000000000003, -1.8});
  CHECK(ReferencePointOf({{0, 1}})[0] > 0);
}

TEST_CASE("multi-objective TPE's good side: whole fronts, then hypervolume subset selection, weighted by contribution") {
  StudySnapshot s;
  s.direction = StudyDirection::kMinimize;
  s.directions = {StudyDirection::kMinimize, StudyDirection::kMaximize};
  auto add = [&](double a, double b, TrialState state = TrialState::kComplete, double constraint = 0) {
    FrozenTrial t;
    t.number = static_cast<int>(s.trials.size());
    t.state = state;
    if (state == TrialState::kComplete) {
      t.values = {a, b};
      t.value = a;
    }
    if (constraint != 0) t.system_attrs["constraints"] = {constraint};
    s.trials.push_back(t);
  };
  // Front 1 (minimise a, maximise b): 0, 1, 2. Front 2: 3, 4, 5. Front 3: 6.
  add(0, 3);
  add(1, 4);
  add(2, 5);
  add(0.5, 2);   // 3
  add(1.5, 3);   // 4
  add(2.5, 4);   // 5
  add(1.6, 2.9); // 6: dominated by 4
  add(0, 9, TrialState::kComplete, 1.0);  // 7: infeasible, would dominate all
  add(0, 0, TrialState::kPruned);         // 8
  auto ranked = RankTrials(s, false, [](int) { return 5; });
  REQUIRE(ranked.n_below == 5);
  std::set<int> good;
  for (size_t i = 0; i < ranked.n_below; ++i) good.insert(ranked.ranked[i]->number);
  CHECK(good.count(0) + good.count(1) + good.count(2) == 3);  // the whole first front
  CHECK(good.count(7) == 0);
  // Two of front 2 by greedy hypervolume (as losses (a, -b), reference (2.75, -1.8)):
  // 4's box is the largest (1.5), then 5 adds 0.25 and 3 only 0.2.
  CHECK(good.count(4) == 1);
  CHECK(good.count(5) == 1);
  CHECK(good.count(3) == 0);
  CHECK(good.count(6) == 0);
  REQUIRE(ranked.below_weights.size() == 5);
  CHECK(*std::max_element(ranked.below_weights.begin(), ranked.below_weights.end()) == doctest::Approx(1.0));
  for (double w : ranked.below_weights) CHECK((w > 0 && w <= 1));
  CHECK(ranked.ranked.size() == 9);
  CHECK(ranked.n_finished == 9);

  // Too few feasible trials: all of them, then the least violating.
  auto wide = RankTrials(s, false, [](int) { return 8; });
  CHECK(wide.n_below == 8);
  CHECK(wide.ranked[7]->number == 7);
  CHECK(wide.below_weights[7] == doctest::Approx(1e-12));

  // Nothing feasible yet: the least violating trials, with TPE's usual weights.
  StudySnapshot none = s;
  for (auto& t : none.trials)
    if (t.state == TrialState::kComplete) t.system_attrs["constraints"] = {1.0 + t.number};
  auto infeasible = RankTrials(none, false, [](int) { return 3; });
  REQUIRE(infeasible.n_below == 3);
  CHECK(infeasible.below_weights.empty());
  CHECK(infeasible.ranked[0]->number == 0);
  CHECK(infeasible.ranked[2]->number == 2);
}

}  // namespace knob
