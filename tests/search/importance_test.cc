// fANOVA importances (search/importance/): the forest partitions the space, and
// importances follow the variance each parameter explains, on functions whose
// decomposition is known.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <random>

#include "search/importance/fanova.h"
#include "search/importance/random_forest.h"

namespace knob {
namespace {

Distribution Unit() { return FloatDistribution{0, 1, false, std::nullopt}; }

// A study of `n` COMPLETE trials at uniform random points of [0,1]^dims, valued by `f`.
StudySnapshot RandomStudy(int n, int dims, uint64_t seed, const std::function<double(const std::vector<double>&)>& f) {
  StudySnapshot study;
  study.name = "s";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < n; ++i) {
    FrozenTrial t;
    t.number = i;
    t.state = TrialState::kComplete;
    std::vector<double> x(dims);
    for (int d = 0; d < dims; ++d) {
      x[d] = u(rng);
      t.params["x" + std::to_string(d)] = TrialParam{Unit(), x[d]};
    }
    t.value = f(x);
    study.trials.push_back(t);
  }
  return study;
}

std::map<std::string, double> Importances(const StudySnapshot& study, uint64_t seed = 0) {
  ImportanceOptions options;
  options.seed = seed;
  auto result = ParamImportances(study, options);
  REQUIRE(result.ok());
  std::map<std::string, double> out;
  double sum = 0;
  for (const auto& p : *result) {
    out[p.name] = p.importance;
    sum += p.importance;
  }
  CHECK(sum == doctest::Approx(1.0).epsilon(1e-9));
  return out;
}

}  // namespace

TEST_CASE("a fully grown tree's leaves partition the box and fit distinct training points exactly") {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<std::vector<double>> rows;
  std::vector<double> targets;
  for (int i = 0; i < 60; ++i) {
    rows.push_back({u(rng), u(rng) * 10 - 5});
    targets.push_back(std::sin(rows.back()[0] * 6) + rows.back()[1]);
  }
  auto forest = FitForest(rows, targets, {{0, 1}, {-5, 5}}, {8, 64, 1});
  REQUIRE(forest.size() == 8);
  for (const auto& tree : forest) {
    double volume = 0;
    for (const auto& leaf : tree.leaves) volume += (leaf.high[0] - leaf.low[0]) * (leaf.high[1] - leaf.low[1]);
    CHECK(volume == doctest::Approx(10.0));
  }
  // One tree on all the points (a bootstrap sample may leave some out, so count
  // the points whose leaf holds only that point's value).
  int exact = 0;
  for (size_t i = 0; i < rows.size(); ++i)
    for (const auto& leaf : forest[0].leaves)
      if (rows[i][0] >= leaf.low[0] && rows[i][0] <= leaf.high[0] && rows[i][1] >= leaf.low[1] &&
          rows[i][1] <= leaf.high[1] && std::abs(leaf.value - targets[i]) < 1e-12)
        ++exact;
  CHECK(exact > 30);  // about 63% of the points are in a bootstrap sample
}

TEST_CASE("importances of an additive function follow each term's variance") {
  // f = a*x0 + b*x1 (+ an inert x2): variances a^2/12 and b^2/12, so the shares are
  // a^2/(a^2+b^2) and b^2/(a^2+b^2); the forest's estimate lands near them.
  for (auto [a_term, b_term, seed] :
       std::vector<std::tuple<double, double, uint64_t>>{{3, 1, 1}, {1, 1, 2}, {1, 2, 3}, {5, 2, 4}}) {
    double a = a_term, b = b_term;  // plain variables: clang 14 cannot capture structured bindings
    CAPTURE(a);
    CAPTURE(b);
    auto study = RandomStudy(300, 3, seed, [&](const std::vector<double>& x) { return a * x[0] + b * x[1]; });
    auto imp = Importances(study, seed);
    double expected0 = a * a / (a * a + b * b);
    CHECK(imp["x0"] == doctest::Approx(expected0).epsilon(0.1));
    CHECK(imp["x1"] == doctest::Approx(1 - expected0).epsilon(0.15));
    CHECK(imp["x2"] < 0.05);
  }
}

TEST_CASE("importance is seeded: the same seed gives the same numbers, another seed nearly the same") {
  auto study = RandomStudy(120, 3, 9, [](const std::vector<double>& x) { return std::pow(x[0] - 0.3, 2) * 4 + x[2]; });
  CHECK(Importances(study, 5) == Importances(study, 5));
  auto a = Importances(study, 5), b = Importances(study, 6);
  for (const auto& [name, v] : a) CHECK(std::abs(v - b[name]) < 0.1);
}

TEST_CASE("a categorical, an int and a log float are judged on their own scales") {
  StudySnapshot study;
  study.name = "mixed";
  Distribution kind = CategoricalDistribution{{"sgd", "adam", "rmsprop"}};
  Distribution layers = IntDistribution{1, 8, false, 1};
  Distribution lr = FloatDistribution{1e-5, 1e-1, true, std::nullopt};
  std::mt19937_64 rng(4);
  for (int i = 0; i < 200; ++i) {
    FrozenTrial t;
    t.number = i;
    t.state = TrialState::kComplete;
    int k = static_cast<int>(rng() % 3);
    int n = 1 + static_cast<int>(rng() % 8);
    double r = std::exp(std::log(1e-5) + (std::log(1e-1) - std::log(1e-5)) * (rng() % 10000) / 10000.0);
    t.params["kind"] = TrialParam{kind, static_cast<double>(k)};
    t.params["layers"] = TrialParam{layers, static_cast<double>(n)};
    t.params["lr"] = TrialParam{lr, r};
    t.value = (k == 1 ? 0.0 : 10.0) + 0.1 * n;
    study.trials.push_back(t);
  }
  auto imp = Importances(study);
  CHECK(imp["kind"] > 0.9);
  CHECK(imp["layers"] > imp["lr"]);
}

TEST_CASE("importance leaves out what it cannot judge and refuses what it cannot compute") {
  auto study = RandomStudy(50, 2, 1, [](const std::vector<double>& x) { return x[0]; });
  // A conditional parameter (only some trials have it) and a fixed one.
  for (size_t i = 0; i < study.trials.size(); ++i) {
    if (i % 2 == 0) study.trials[i].params["momentum"] = TrialParam{Unit(), 0.5};
    study.trials[i].params["fixed"] = TrialParam{FloatDistribution{2, 2, false, std::nullopt}, 2};
  }
  // Trials that do not count: FAIL, PRUNED, infinite.
  FrozenTrial failed;
  failed.state = TrialState::kFail;
  study.trials.push_back(failed);
  FrozenTrial infinite = study.trials[0];
  infinite.value = INFINITY;
  study.trials.push_back(infinite);
  auto imp = Importances(study);
  CHECK(imp.count("momentum") == 0);
  REQUIRE(imp.count("fixed") == 1);
  CHECK(imp["fixed"] == 0);
  CHECK(imp["x0"] > 0.95);

  StudySnapshot one = RandomStudy(1, 2, 1, [](const std::vector<double>& x) { return x[0]; });
  auto refused = ParamImportances(one, {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::kBadInput);
  CHECK(refused.error().message == "importance needs at least 2 COMPLETE trials with a value; study s has 1");
  auto flat = ParamImportances(RandomStudy(20, 2, 1, [](const std::vector<double>&) { return 3.0; }), {});
  REQUIRE_FALSE(flat.ok());
  CHECK(flat.error().message == "importance: the values of study s's COMPLETE trials do not vary");
}

TEST_CASE("a study larger than max_trials is judged on a subset, with the same ranking") {
  auto study = RandomStudy(600, 2, 8, [](const std::vector<double>& x) { return 4 * x[0] + x[1]; });
  ImportanceOptions options;
  options.max_trials = 150;
  auto subset = ParamImportances(study, options);
  REQUIRE(subset.ok());
  REQUIRE(subset->size() == 2);
  CHECK((*subset)[0].name == "x0");
  CHECK((*subset)[0].importance == doctest::Approx(16.0 / 17).epsilon(0.1));
}

}  // namespace knob
