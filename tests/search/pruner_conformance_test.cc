// The rules every pruner keeps, one TEST_CASE_TEMPLATE over each of them (nop,
// median, percentile, asha, hyperband, threshold, patient): the same study gives
// the same decision; a trial that is best at every step and keeps improving is
// never pruned; nothing is pruned inside the warm-up, or off the interval, where
// the pruner has them; and a trial worse than every other at every step, and
// getting worse, is pruned by every pruner that can prune it.
#include <doctest/doctest.h>

#include <cmath>

#include "search/pruners/pruner_factory.h"

namespace knob {
namespace {

// A minimised learning curve: improving (offset + 1/step), or slowly worsening.
double CurveAt(double offset, int64_t step, bool improving) { return offset + (improving ? 1.0 / step : 0.01 * step); }

// Reports trial `number`'s curve to `pruner` step by step, as a study would (its
// rung attributes stored), until pruned or `steps`; returns the pruned step.
std::optional<int64_t> Play(const Pruner& pruner, StudySnapshot& s, int number, double offset, int64_t steps,
                            bool improving) {
  FrozenTrial t;
  t.number = number;
  t.state = TrialState::kRunning;
  s.trials.push_back(t);
  for (int64_t step = 1; step <= steps; ++step) {
    FrozenTrial& me = s.trials.back();
    me.intermediate_values[step] = CurveAt(offset, step, improving);
    PruneDecision d = pruner.Prune(s, me);
    for (const auto& [k, v] : d.system_attrs.items()) me.system_attrs[k] = v;
    if (d.prune) return step;
  }
  return std::nullopt;
}

// Ten trials that ran their whole curves (offsets 1..10) and finished, then the
// reporting one: the step at which it is pruned, if any.
std::optional<int64_t> FirstPrunedStep(const Pruner& pruner, double offset, int64_t steps, bool improving = true) {
  StudySnapshot s;
  s.study_id = 1;
  s.name = "p";
  for (int i = 0; i < 10; ++i) {
    NopPruner nop;
    (void)Play(i < 3 ? nop : pruner, s, i, 1 + i, 20, true);
    s.trials.back().state = TrialState::kComplete;
    s.trials.back().value = s.trials.back().intermediate_values.rbegin()->second;
  }
  return Play(pruner, s, 10, offset, steps, improving);
}

struct NopCase {
  static PrunerSpec Spec() { return {"nop", nlohmann::json::object()}; }
  static constexpr bool kPrunesWorst = false;
  static constexpr int64_t kWarmup = 0, kInterval = 1;
};
struct MedianCase {
  static PrunerSpec Spec() { return {"median", {{"n_warmup_steps", 3}, {"interval_steps", 2}}}; }
  static constexpr bool kPrunesWorst = true;
  static constexpr int64_t kWarmup = 3, kInterval = 2;
};
struct PercentileCase {
  static PrunerSpec Spec() { return {"percentile", {{"percentile", 25.0}, {"n_warmup_steps", 2}}}; }
  static constexpr bool kPrunesWorst = true;
  static constexpr int64_t kWarmup = 2, kInterval = 1;
};
struct AshaCase {
  static PrunerSpec Spec() { return {"asha", {{"min_resource", 1}, {"reduction_factor", 3}}}; }
  static constexpr bool kPrunesWorst = true;
  static constexpr int64_t kWarmup = 0, kInterval = 1;
};
struct HyperbandCase {
  static PrunerSpec Spec() { return {"hyperband", {{"min_resource", 1}, {"max_resource", 20}, {"reduction_factor", 3}}}; }
  static constexpr bool kPrunesWorst = false;  // its brackets may give the trial none to compare with
  static constexpr int64_t kWarmup = 0, kInterval = 1;
};
struct ThresholdCase {
  static PrunerSpec Spec() { return {"threshold", {{"upper", 5.0}, {"n_warmup_steps", 4}}}; }
  static constexpr bool kPrunesWorst = true;
  static constexpr int64_t kWarmup = 4, kInterval = 1;
};
struct PatientCase {
  static PrunerSpec Spec() { return {"patient", {{"patience", 2}, {"wrapped", {{"name", "median"}}}}}; }
  static constexpr bool kPrunesWorst = true;
  static constexpr int64_t kWarmup = 0, kInterval = 1;
};

}  // namespace

TEST_CASE_TEMPLATE("pruner conformance: deterministic; the best improving trial is never pruned", Case, NopCase,
                   MedianCase, PercentileCase, AshaCase, HyperbandCase, ThresholdCase, PatientCase) {
  auto pruner = MakePruner(Case::Spec());
  REQUIRE(pruner.ok());
  CHECK(FirstPrunedStep(**pruner, 11, 20) == FirstPrunedStep(**pruner, 11, 20));
  CHECK_FALSE(FirstPrunedStep(**pruner, /*offset=*/0, 20));  // below everyone, and improving
}

TEST_CASE_TEMPLATE("pruner conformance: warm-up and interval; the worst trial is pruned", Case, NopCase,
                   MedianCase, PercentileCase, AshaCase, HyperbandCase, ThresholdCase, PatientCase) {
  auto pruner = MakePruner(Case::Spec());
  REQUIRE(pruner.ok());
  auto first = FirstPrunedStep(**pruner, /*offset=*/50, 20, /*improving=*/false);  // above everyone, worsening
  if (Case::kPrunesWorst) REQUIRE(first);
  if (first) {
    CHECK(*first >= Case::kWarmup);  // Optuna's rule: no pruning while step < n_warmup_steps
    if (Case::kInterval > 1) CHECK((*first - Case::kWarmup) % Case::kInterval == 0);
  }
  if (Case::Spec().name == "nop") CHECK_FALSE(first);
}

}  // namespace knob
