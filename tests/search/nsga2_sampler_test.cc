// NSGA-II: generations from the stored attribute, elite parents, children made of
// their parents' values, Deb's constraint rule, and seeded determinism.
#include <doctest/doctest.h>

#include "search/samplers/nsga2_sampler.h"

namespace knob {
namespace {

const std::vector<StudyDirection> kTwo = {StudyDirection::kMinimize, StudyDirection::kMinimize};

FrozenTrial Trial(int number, int generation, std::vector<double> values, double x) {
  FrozenTrial t;
  t.number = number;
  t.state = TrialState::kComplete;
  t.values = values;
  t.value = values[0];
  t.system_attrs["nsga2:generation"] = generation;
  t.params["x"] = {FloatDistribution{0, 1, false, std::nullopt}, x};
  t.params["y"] = {FloatDistribution{0, 1, false, std::nullopt}, 1 - x};
  return t;
}

}  // namespace

TEST_CASE("nsga2: parents are the elite of each whole generation; the next generation's number follows") {
  StudySnapshot study;
  study.directions = kTwo;
  for (int i = 0; i < 4; ++i) study.trials.push_back(Trial(i, 0, {double(i), double(4 - i)}, 0.1 * i));
  study.trials.push_back(Trial(4, 1, {0, 0}, 0.9));  // generation 1 has begun, not whole
  Nsga2Parents parents = CollectParents(study, 4);
  CHECK(parents.generation == 0);
  CHECK(parents.population.size() == 4);
  CHECK(CollectParents(study, 5).generation == -1);  // no whole generation of 5 yet
  for (int i = 5; i < 8; ++i) study.trials.push_back(Trial(i, 1, {10.0 + i, 10.0 + i}, 0.5));
  parents = CollectParents(study, 4);
  CHECK(parents.generation == 1);
  // The elite of generation 1 joined with its parents: (0,0) dominates all; trials 5..7 are dominated by it.
  std::vector<int> numbers;
  for (const FrozenTrial* t : parents.population) numbers.push_back(t->number);
  CHECK(std::find(numbers.begin(), numbers.end(), 4) != numbers.end());
  CHECK(std::find(numbers.begin(), numbers.end(), 7) == numbers.end());
}

TEST_CASE("nsga2: children take their parents' values; the same seed gives the same child") {
  StudySnapshot study;
  study.directions = kTwo;
  for (int i = 0; i < 4; ++i) study.trials.push_back(Trial(i, 0, {double(i), double(4 - i)}, 0.1 * (i + 1)));
  SearchSpace space;
  space["x"] = FloatDistribution{0, 1, false, std::nullopt};
  space["y"] = FloatDistribution{0, 1, false, std::nullopt};
  Nsga2Options options;
  options.seed = 7;
  options.population_size = 4;
  options.mutation_prob = 0.0;
  Nsga2Sampler sampler(options);
  for (int number = 4; number < 40; ++number) {
    auto child = sampler.SampleRelative(study, number, space, {});
    REQUIRE(child.ok());
    CHECK(child->system_attrs["nsga2:generation"] == 1);
    REQUIRE(child->params.size() == 2);
    for (const auto& [name, value] : child->params) {
      bool from_a_parent = false;
      for (const auto& t : study.trials) from_a_parent |= t.params.at(name).internal == value;
      CHECK(from_a_parent);
    }
    CHECK(sampler.SampleRelative(study, number, space, {})->params == child->params);
  }
  // Mutation always: every parameter is left to the uniform draw.
  options.mutation_prob = 1.0;
  CHECK(Nsga2Sampler(options).SampleRelative(study, 5, space, {})->params.empty());
}

TEST_CASE("nsga2: feasible dominates infeasible; among infeasible, less violation dominates") {
  FrozenTrial good = Trial(0, 0, {5, 5}, 0.1), bad = Trial(1, 0, {0, 0}, 0.2), worse = Trial(2, 0, {0, 0}, 0.3);
  good.system_attrs["constraints"] = {-1};
  bad.system_attrs["constraints"] = {0.5};
  worse.system_attrs["constraints"] = {2.0};
  CHECK(ConstrainedDominates(good, bad, kTwo));
  CHECK_FALSE(ConstrainedDominates(bad, good, kTwo));
  CHECK(ConstrainedDominates(bad, worse, kTwo));
  CHECK(ParseNsga2Options({{"population_size", 1}}).error().message ==
        "nsga2 sampler: option 'population_size': expected an integer >= 2, got 1");
}

}  // namespace knob
