// Pruner options and a few decisions pinned by hand; tests/interop checks every
// pruner against Optuna 3.1 decision by decision.
#include <doctest/doctest.h>

#include <cmath>

#include "search/pruners/pruner_factory.h"
#include "search/pruners/successive_halving_pruner.h"

namespace knob {
namespace {

FrozenTrial Curve(int number, TrialState state, std::vector<double> values) {
  FrozenTrial t;
  t.number = number;
  t.state = state;
  for (size_t i = 0; i < values.size(); ++i) t.intermediate_values[static_cast<int64_t>(i)] = values[i];
  return t;
}

PruneDecision Decide(const std::string& spec_json, const StudySnapshot& study, const FrozenTrial& trial) {
  auto spec = ParsePrunerSpec(nlohmann::json::parse(spec_json));
  REQUIRE(spec.ok());
  auto pruner = MakePruner(*spec);
  REQUIRE(pruner.ok());
  return (*pruner)->Prune(study, trial);
}

}  // namespace

TEST_CASE("pruners: options are checked with messages naming pruner and option") {
  auto error = [](const std::string& json) {
    auto spec = ParsePrunerSpec(nlohmann::json::parse(json));
    if (!spec.ok()) return spec.error().message;
    auto pruner = MakePruner(*spec);
    return pruner.ok() ? std::string("ok") : pruner.error().message;
  };
  CHECK(error(R"("median")") == "ok");
  CHECK(error(R"("bogus")") ==
        "unknown pruner 'bogus'; choose nop, median, percentile, asha, hyperband, threshold or patient");
  CHECK(error(R"({"name": "percentile"})") == "percentile pruner: option 'percentile' is required");
  CHECK(error(R"({"name": "percentile", "percentile": 120})") ==
        "percentile pruner: option 'percentile': expected a number in [0, 100], got 120");
  CHECK(error(R"({"name": "asha", "min_resource": "auto", "bootstrap_count": 2})") ==
        "asha pruner: option 'bootstrap_count' needs a fixed min_resource, not \"auto\"");
  CHECK(error(R"({"name": "threshold"})") == "threshold pruner: option 'lower' or 'upper' is required");
  CHECK(error(R"({"name": "threshold", "lower": 2, "upper": 1})") ==
        "threshold pruner: option 'lower' must be at most 'upper'");
  CHECK(error(R"({"name": "hyperband", "min_resource": 10, "max_resource": 3})") ==
        "hyperband pruner: option 'max_resource' must be at least min_resource");
  CHECK(error(R"({"name": "patient", "patience": 2, "wrapped": {"name": "patient", "patience": 1}})") ==
        "patient pruner: option 'wrapped' cannot be another patient pruner");
  CHECK(error(R"({"name": "median", "percentile": 3})") == "median pruner: unknown option 'percentile'");
}

TEST_CASE("pruners: median after startup; ASHA records rungs and promotes the top third") {
  StudySnapshot study{1, "s", StudyDirection::kMinimize, {}};
  for (int i = 0; i < 5; ++i) study.trials.push_back(Curve(i, TrialState::kComplete, {1.0 + i, 0.5 + i}));
  FrozenTrial bad = Curve(5, TrialState::kRunning, {9, 9});
  FrozenTrial good = Curve(6, TrialState::kRunning, {1, 0.4});
  CHECK(Decide(R"("median")", study, bad).prune);
  CHECK_FALSE(Decide(R"("median")", study, good).prune);
  CHECK_FALSE(Decide(R"({"name": "median", "n_startup_trials": 6})", study, bad).prune);
  CHECK(Decide(R"({"name": "patient", "patience": 0})", study, Curve(7, TrialState::kRunning, {1, 2})).prune);

  StudySnapshot rungs{1, "s", StudyDirection::kMinimize, {}};
  for (int i = 0; i < 6; ++i) {
    FrozenTrial t = Curve(i, TrialState::kComplete, {});
    t.system_attrs[CompletedRungKey(0)] = 0.1 * (i + 1);  // 0.1 .. 0.6 at rung 0
    rungs.trials.push_back(t);
  }
  const char* asha = R"({"name": "asha", "min_resource": 1, "reduction_factor": 3})";
  FrozenTrial middling = Curve(6, TrialState::kRunning, {0.9, 0.35});  // step 1 reaches rung 0
  PruneDecision d = Decide(asha, rungs, middling);
  CHECK(d.prune);  // 7 values at rung 0: only the best 7/3 - 1 + 1 = 2 go on
  CHECK(d.system_attrs[CompletedRungKey(0)] == 0.35);
  FrozenTrial best = Curve(7, TrialState::kRunning, {0.9, 0.15});
  PruneDecision promoted = Decide(asha, rungs, best);
  CHECK_FALSE(promoted.prune);
  CHECK(promoted.system_attrs[CompletedRungKey(0)] == 0.15);
}

}  // namespace knob
