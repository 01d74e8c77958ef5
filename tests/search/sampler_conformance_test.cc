// The rules every sampler keeps, one TEST_CASE_TEMPLATE over each of them (random,
// tpe with its defaults and with multivariate + group, gp, auto, grid), run as a study runs
// them (Study over an in-memory storage): every value inside its distribution,
// on its step, integral where it must be, log ranges positive, conditional
// parameters present exactly when active, a seeded study the same in two
// independent runs, and hostile values and spaces (infinities, huge and subnormal
// numbers, failures, ranges of one value or one subnormal width) asked through.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <set>
#include <type_traits>

#include "search/search_space.h"
#include "studies/memory_storage.h"
#include "studies/study.h"

namespace knob {
namespace {

const char* kMixedSpace = R"({
  "lr":      {"type": "float", "low": 1e-5, "high": 1e-1, "log": true},
  "dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.05},
  "layers":  {"type": "int", "low": 1, "high": 4},
  "batch":   {"type": "int", "low": 16, "high": 512, "log": true},
  "warmup":  {"type": "int", "low": 0, "high": 100, "step": 10},
  "opt":     {"type": "categorical", "choices": ["adamw", "sgd", "adam"]},
  "momentum":{"type": "float", "low": 0.5, "high": 0.99, "when": {"opt": "sgd"}}
})";

// Grid needs every parameter to be finite (steps everywhere) and takes no conditionals.
const char* kGridSpace = R"({
  "dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.25},
  "layers":  {"type": "int", "low": 1, "high": 3},
  "opt":     {"type": "categorical", "choices": ["adamw", "sgd"]},
  "momentum":{"type": "float", "low": 0.5, "high": 0.9, "step": 0.4}
})";

struct RandomCase {
  static SamplerSpec Spec(int seed) { return {"random", {{"seed", seed}}}; }
  static const char* Space() { return kMixedSpace; }
  static constexpr int kTrials = 60;
};
struct TpeCase {
  static SamplerSpec Spec(int seed) { return {"tpe", {{"seed", seed}, {"n_startup_trials", 8}}}; }
  static const char* Space() { return kMixedSpace; }
  static constexpr int kTrials = 40;
};
struct TpeMultivariateCase {
  static SamplerSpec Spec(int seed) {
    return {"tpe", {{"seed", seed}, {"n_startup_trials", 8}, {"multivariate", true}, {"group", true}}};
  }
  static const char* Space() { return kMixedSpace; }
  static constexpr int kTrials = 40;
};
struct GpCase {
  static SamplerSpec Spec(int seed) { return {"gp", {{"seed", seed}, {"n_startup_trials", 8}}}; }
  static const char* Space() { return kMixedSpace; }
  static constexpr int kTrials = 30;
};
struct AutoCase {
  static SamplerSpec Spec(int seed) { return {"auto", {{"seed", seed}, {"n_startup_trials", 8}}}; }
  static const char* Space() { return kMixedSpace; }
  static constexpr int kTrials = 30;
};
struct GridCase {
  static SamplerSpec Spec(int seed) { return {"grid", {{"seed", seed}}}; }
  static const char* Space() { return kGridSpace; }
  static constexpr int kTrials = 100;  // more than the grid: it ends exhausted
};

// An objective with interactions, so that model-based samplers move.
double Objective(const nlohmann::json& p) {
  double v = 0;
  for (const auto& [name, value] : p.items())
    if (value.is_number()) v += std::sin(value.template get<double>() * 3.1 + name.size());
  if (p.contains("opt") && p["opt"] == "sgd") v += 0.3;
  return v;
}

// Runs a study of `trials` asks and tells; returns the params of each trial in order.
template <class Case>
std::vector<nlohmann::json> RunStudy(int seed, int trials, SearchSpace* space_out = nullptr) {
  MemoryStorage storage;
  StudyConfig config;
  config.name = "conformance";
  config.sampler = Case::Spec(seed);
  auto space = ParseSearchSpaceText(Case::Space());
  REQUIRE(space.ok());
  config.space = *space;
  if (space_out) *space_out = *space;
  auto study = Study::Create(storage, config);
  REQUIRE(study.ok());
  std::vector<nlohmann::json> params;
  for (int i = 0; i < trials; ++i) {
    auto trial = study->Ask();
    if (!trial.ok()) {
      REQUIRE(trial.error().kind == ErrorKind::kExhausted);
      break;
    }
    params.push_back(trial->ParamsJson());
    TellRequest tell;
    tell.value = Objective(params.back());
    REQUIRE(study->Tell(trial->number, tell).ok());
  }
  return params;
}

// Ranges a user may write that sit at the ends of what a double holds.
const char* kEdgeSpace = R"({
  "one":     {"type": "float", "low": 1, "high": 1},
  "int_one": {"type": "int", "low": 3, "high": 3},
  "single":  {"type": "categorical", "choices": [null]},
  "subnormal": {"type": "float", "low": 0, "high": 5e-324},
  "narrow_log": {"type": "float", "low": 1, "high": 1.0000000000000002, "log": true},
  "huge":    {"type": "float", "low": -1e300, "high": 1e300},
  "huge_log":{"type": "float", "low": 1e-300, "high": 1e300, "log": true},
  "big_int": {"type": "int", "low": -9000000000000000, "high": 9000000000000000},
  "x":       {"type": "float", "low": 0, "high": 1}
})";

// Values no objective should send, and some do: each stream is trial i's value(s).
std::vector<std::pair<std::string, std::function<double(int)>>> HostileStreams() {
  return {{"constant", [](int) { return 0.0; }},
          {"infinities", [](int i) { return i % 3 == 0 ? INFINITY : i % 3 == 1 ? -INFINITY : std::sin(i); }},
          {"all +inf", [](int) { return INFINITY; }},
          {"huge", [](int i) { return (i % 2 ? 1e308 : -1e308) * (1 - i * 1e-3); }},
          {"subnormal", [](int i) { return 5e-324 * (i % 7); }},
          {"half failed", [](int i) { return i % 2 ? NAN : std::sin(i); }}};
}

// Runs `trials` asks over `space_text` telling `value(i)` (and, with two
// objectives, its mirror); checks each ask succeeds and keeps to its distributions.
template <class Case>
void RunHostile(const char* space_text, int objectives, const std::function<double(int)>& value, int trials) {
  MemoryStorage storage;
  StudyConfig config;
  config.name = "hostile";
  config.sampler = Case::Spec(3);
  auto space = ParseSearchSpaceText(space_text);
  REQUIRE(space.ok());
  config.space = *space;
  if (objectives == 2) {
    config.directions = {StudyDirection::kMinimize, StudyDirection::kMaximize};
    config.pruner = {"nop", nlohmann::json::object()};
  }
  auto study = Study::Create(storage, config);
  REQUIRE(study.ok());
  for (int i = 0; i < trials; ++i) {
    auto trial = study->Ask();
    REQUIRE(trial.ok());
    nlohmann::json params = trial->ParamsJson();
    for (const auto& item : params.items()) {
      INFO("trial ", i, ": ", item.key(), " = ", item.value().dump());
      CHECK(ToInternal(item.key(), space->at(item.key()), item.value()).ok());
    }
    TellRequest tell;
    double v = value(i);
    if (objectives == 2) tell.values = {v, i % 2 ? v : -v};
    else tell.value = v;
    REQUIRE(study->Tell(trial->number, tell).ok());
  }
}

struct Nsga2Case {
  static SamplerSpec Spec(int seed) { return {"nsga2", {{"seed", seed}, {"population_size", 6}}}; }
};

}  // namespace

TEST_CASE_TEMPLATE("sampler conformance: hostile values and edge ranges are asked through, in bounds", Case,
                   RandomCase, TpeCase, TpeMultivariateCase, GpCase, AutoCase) {
  for (const auto& stream : HostileStreams()) {  // (clang's INFO cannot capture a structured binding)
    INFO("values: ", stream.first);
    RunHostile<Case>(kEdgeSpace, 1, stream.second, 24);
    if (!std::is_same_v<Case, GpCase>) RunHostile<Case>(kEdgeSpace, 2, stream.second, 24);  // gp: one objective only
  }
}

TEST_CASE("sampler conformance: nsga2 takes hostile values of two objectives") {
  for (const auto& stream : HostileStreams()) {
    INFO("values: ", stream.first);
    RunHostile<Nsga2Case>(kEdgeSpace, 2, stream.second, 24);
  }
}

TEST_CASE_TEMPLATE("sampler conformance: bounds, steps, log, ints, categoricals, conditionals", Case, RandomCase,
                   TpeCase, TpeMultivariateCase, GpCase, AutoCase, GridCase) {
  SearchSpace space;
  auto all = RunStudy<Case>(11, Case::kTrials, &space);
  REQUIRE(all.size() >= 10);
  std::set<std::string> opts;
  for (const auto& p : all) {
    auto active = ActiveParams(space, p);
    std::set<std::string> expected(active.begin(), active.end()), got;
    for (const auto& [name, value] : p.items()) got.insert(name);
    CHECK(got == expected);  // conditionals exactly when active
    for (const auto& item : p.items()) {
      const std::string& name = item.key();
      const auto& value = item.value();
      const Distribution& d = space.at(name);
      INFO(name, " = ", value.dump());
      CHECK(ToInternal(name, d, value).ok());  // inside, integral, on an int step
      if (const auto* f = std::get_if<FloatDistribution>(&d)) {
        if (f->step) {
          double k = (value.template get<double>() - f->low) / *f->step;
          CHECK(std::fabs(k - std::round(k)) < 1e-9);
        }
        if (f->log) CHECK(value.template get<double>() > 0);
      }
      if (name == "opt") opts.insert(value.template get<std::string>());
    }
  }
  CHECK(opts.size() >= 2);  // categoricals are explored
}

TEST_CASE_TEMPLATE("sampler conformance: a seeded study is the same in two runs, another seed differs", Case,
                   RandomCase, TpeCase, TpeMultivariateCase, GpCase, AutoCase, GridCase) {
  auto a = RunStudy<Case>(5, Case::kTrials), b = RunStudy<Case>(5, Case::kTrials);
  CHECK(a == b);
  auto c = RunStudy<Case>(6, Case::kTrials);
  CHECK(c != a);
}

TEST_CASE("sampler conformance: the grid is used up exactly, every point once") {
  auto all = RunStudy<GridCase>(1, 100);
  CHECK(all.size() == 3 * 3 * 2 * 2);
  std::set<std::string> distinct;
  for (const auto& p : all) distinct.insert(p.dump());
  CHECK(distinct.size() == all.size());
}

}  // namespace knob
