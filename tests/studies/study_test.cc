#include <doctest/doctest.h>

#include <cmath>

#include "search/pareto.h"
#include "studies/memory_storage.h"
#include "studies/study.h"
#include "studies/trial_planner.h"

namespace knob {
namespace {

StudyConfig Config(StudyDirection direction) {
  return {"s", direction, {"random", {{"seed", 1}}},
          *ParseSearchSpaceText(R"({"x": {"type": "float", "low": 0, "high": 1},
                                    "c": {"type": "categorical", "choices": ["a", "b"]}})"), {}};
}

}  // namespace

TEST_CASE("ask, tell and best trial, minimizing and maximizing") {
  for (auto direction : {StudyDirection::kMinimize, StudyDirection::kMaximize}) {
    MemoryStorage storage;
    auto study = Study::Create(storage, Config(direction));
    REQUIRE(study.ok());
    CHECK(study->BestTrial()->has_value() == false);
    double values[] = {3, 1, 4, 1.5, 9, 2};
    for (double v : values) {
      auto trial = study->Ask();
      REQUIRE(trial.ok());
      CHECK(trial->params.size() == 2);
      REQUIRE(study->Tell(trial->number, {TrialState::kComplete, v}).ok());
    }
    auto best = study->BestTrial();
    REQUIRE(best->has_value());
    CHECK((*best)->number == (direction == StudyDirection::kMinimize ? 1 : 4));
  }
}

TEST_CASE("a NaN value fails the trial with its reason; infinities are values") {
  MemoryStorage storage;
  Study study = *Study::Create(storage, Config(StudyDirection::kMinimize));
  for (int i = 0; i < 3; ++i) REQUIRE(study.Ask().ok());
  auto nan = study.Tell(0, {TrialState::kComplete, NAN});
  REQUIRE(nan.ok());
  CHECK(nan->state == TrialState::kFail);
  CHECK_FALSE(nan->value.has_value());
  CHECK(nan->system_attrs["knob:fail_reason"] == "the objective value is NaN");
  CHECK(study.Tell(1, {TrialState::kComplete, INFINITY})->value == INFINITY);
  CHECK(study.Tell(2, {TrialState::kComplete, 5.0}).ok());
  CHECK((*study.BestTrial())->number == 2);
}

TEST_CASE("a pruned trial keeps its last intermediate value") {
  MemoryStorage storage;
  Study study = *Study::Create(storage, Config(StudyDirection::kMinimize));
  auto trial = study.Ask();
  REQUIRE(study.Report(trial->number, 0, 0.9).ok());
  REQUIRE(study.Report(trial->number, 4, 0.7).ok());
  CHECK(study.Report(trial->number, -1, 0.7).error().message == "step must be >= 0, got -1");
  auto pruned = study.Tell(trial->number, {TrialState::kPruned, std::nullopt});
  REQUIRE(pruned.ok());
  CHECK(pruned->state == TrialState::kPruned);
  CHECK(*pruned->value == 0.7);
  CHECK(study.Tell(trial->number, {TrialState::kComplete, 1.0}).error().kind == ErrorKind::kBadInput);
}

TEST_CASE("an enqueued trial is handed out first with its fixed params") {
  MemoryStorage storage;
  Study study = *Study::Create(storage, Config(StudyDirection::kMinimize));
  REQUIRE(study.Ask().ok());
  auto number = study.Enqueue({{"x", 0.25}}, {{"source", "manual"}});
  REQUIRE(number.ok());
  CHECK(*number == 1);
  auto trial = study.Ask();
  REQUIRE(trial.ok());
  CHECK(trial->number == 1);
  CHECK(trial->ParamsJson()["x"] == 0.25);
  CHECK(trial->params.count("c") == 1);  // the rest is sampled
  CHECK(trial->user_attrs["source"] == "manual");
  CHECK(study.Ask()->number == 2);
  CHECK(study.Enqueue({{"y", 1}}).error().message ==
        "parameter 'y' is not in the search space of study 's'");
  CHECK(study.Enqueue({{"x", 2.0}}).error().message ==
        "parameter 'x': value 2.0 is outside its distribution");
}

TEST_CASE("EnqueueIfNew queues params once, as Optuna's enqueue_trial(skip_if_exists=True)") {
  MemoryStorage storage;
  Study study = *Study::Create(storage, Config(StudyDirection::kMinimize));
  auto first = study.EnqueueIfNew({{"x", 0.25}, {"c", "a"}}, {{"source", "script"}});
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK(**first == 0);
  CHECK_FALSE(study.EnqueueIfNew({{"c", "a"}, {"x", 0.25}})->has_value());  // queued already
  auto ran = study.Ask();
  REQUIRE(ran.ok());
  REQUIRE(study.Tell(ran->number, {TrialState::kComplete, 1.0}).ok());
  CHECK_FALSE(study.EnqueueIfNew({{"x", 0.25}, {"c", "a"}})->has_value());  // a trial has them
  // Other names or values are new: a subset, another value, a sampled trial's own params.
  CHECK(study.EnqueueIfNew({{"x", 0.25}})->has_value());
  CHECK(study.EnqueueIfNew({{"x", 0.5}, {"c", "a"}})->has_value());
  REQUIRE(study.Ask().ok());  // the two just queued
  REQUIRE(study.Ask().ok());
  auto drawn = study.Ask();
  REQUIRE(drawn.ok());
  CHECK_FALSE(study.EnqueueIfNew(drawn->ParamsJson())->has_value());  // its drawn params are taken
  CHECK(study.EnqueueIfNew({{"y", 1}}).error().message == "parameter 'y' is not in the search space of study 's'");
  CHECK(storage.ReadStudy(study.record().study_id)->trials.size() == 4);
}

TEST_CASE("a study without a stored space infers it from its trials") {
  MemoryStorage storage;
  StudyConfig config{"s", StudyDirection::kMinimize, {}, std::nullopt, {}};
  Study study = *Study::Create(storage, config);
  CHECK(study.Ask().error().message == "study 's' has no search space: give one with --space");
  auto space = *ParseSearchSpaceText(R"({"x": {"type": "int", "low": 0, "high": 3}})");
  REQUIRE(study.Ask(space).ok());
  auto inferred = study.Ask();
  REQUIRE(inferred.ok());
  CHECK(inferred->ParamsJson()["x"].is_number_integer());
}

TEST_CASE("define-by-run: suggestions are drawn once, recorded, checked against the space and fixed params") {
  MemoryStorage storage;
  StudyConfig config = Config(StudyDirection::kMinimize);
  config.sampler = {"tpe", {{"seed", 3}, {"n_startup_trials", 5}}};
  Study study = *Study::Create(storage, config);
  Distribution units = IntDistribution{1, 128, false, 1};
  // Before n_startup_trials: random; after: TPE on the trials that have the parameter, so
  // suggestions crowd where the good trials' values were.
  for (int i = 0; i < 40; ++i) {
    auto trial = study.Ask();
    REQUIRE(trial.ok());
    auto value = study.Suggest(trial->number, "units", units);
    REQUIRE_MESSAGE(value.ok(), value.error().message);
    CHECK(*study.Suggest(trial->number, "units", units) == *value);  // the same again
    double v = value->get<int64_t>();
    REQUIRE(study.Tell(trial->number, {TrialState::kComplete, std::abs(v - 100)}).ok());
  }
  auto snapshot = study.Snapshot();
  int near = 0;
  for (const auto& t : snapshot->trials) {
    REQUIRE(t.params.count("units"));
    CHECK(t.params.at("units").distribution == units);
    if (t.number >= 20) near += std::abs(t.params.at("units").External().get<int64_t>() - 100) <= 20;
  }
  CHECK(near >= 12);  // 20 late draws; uniform would put about 6 within 20 of 100
  // A declared parameter: its value when the distribution is the same; else an error naming both.
  auto trial = study.Ask();
  double x = trial->params.at("x").internal;
  CHECK(*study.Suggest(trial->number, "x", FloatDistribution{0, 1, false, {}}) == x);
  auto contra = study.Suggest(trial->number, "x", IntDistribution{0, 1, false, 1});
  CHECK(contra.error().message == R"(parameter 'x' was suggested as {"high":1,"low":0,"type":"int"} but the )"
                                  R"(study has it as {"high":1.0,"low":0.0,"type":"float"})");
  CHECK(study.Suggest(trial->number, "bad", FloatDistribution{2, 1, false, {}}).error().kind == ErrorKind::kBadInput);
  // A retry's fixed params hold for suggestions too.
  REQUIRE(study.Tell(trial->number, {TrialState::kFail, {}}).ok());
  REQUIRE(study.Suggest(trial->number, "units", units).error().kind == ErrorKind::kBadInput);  // not RUNNING
  auto failed = study.Snapshot()->trials.back();
  failed.params["units"] = {units, 77};
  REQUIRE(study.Retry(failed, 1)->has_value());
  auto retried = study.Ask();
  CHECK(*study.Suggest(retried->number, "units", units) == 77);
  // A define-by-run study (empty space) enqueues any names; a fixed value that does not fit
  // the suggested distribution is drawn instead.
  StudyConfig open = config;
  open.name = "open";
  open.space = SearchSpace();
  Study dbr = *Study::Create(storage, open);
  REQUIRE(dbr.Enqueue({{"units", 5}, {"kind", "b"}, {"far", 1000}}).ok());
  CHECK(dbr.Enqueue({{"x", {1, 2}}}).error().message ==
        "enqueued parameter 'x': expected a number, string, bool or null, got [1,2]");
  auto fixed = dbr.Ask();
  CHECK(*dbr.Suggest(fixed->number, "units", units) == 5);
  CHECK(*dbr.Suggest(fixed->number, "kind", CategoricalDistribution{{"a", "b"}}) == "b");
  auto far = dbr.Suggest(fixed->number, "far", units);
  CHECK(far->get<int64_t>() >= 1);
  CHECK(far->get<int64_t>() <= 128);
}

// A log float, an int and a categorical: the space of Mixed.
SearchSpace MixedSpace() {
  return *ParseSearchSpaceText(R"({"lr": {"type": "float", "low": 1e-4, "high": 1, "log": true},
      "layers": {"type": "int", "low": 1, "high": 6},
      "opt": {"type": "categorical", "choices": ["adam", "sgd"]}})");
}

// A mixed function of three parameters with an interaction, by external values.
double Mixed(const nlohmann::json& params) {
  double lr = params["lr"].get<double>(), layers = params["layers"].get<double>();
  double penalty = params["opt"] == "sgd" ? 0.5 : 0.0;
  return std::pow(std::log10(lr) + 2 + 0.3 * layers, 2) + 0.1 * std::abs(layers - 3) + penalty;
}

TEST_CASE("define-by-run: the parameters every finished trial holds are drawn jointly, as a declared space's are") {
  const SearchSpace space = MixedSpace();
  for (const std::string sampler : {"tpe", "gp", "auto"}) {
    CAPTURE(sampler);
    MemoryStorage storage;
    StudyConfig declared{"declared", StudyDirection::kMinimize, {sampler, {{"seed", 5}, {"n_startup_trials", 5}}},
                         space, {}};
    StudyConfig open = declared;
    open.name = "open";
    open.space = SearchSpace();
    Study with_space = *Study::Create(storage, declared);
    Study by_run = *Study::Create(storage, open);
    for (int i = 0; i < 16; ++i) {
      auto a = with_space.Ask();
      auto b = by_run.Ask();
      REQUIRE(a.ok());
      REQUIRE(b.ok());
      CHECK(b->params.empty());
      // After the startup trials the objective's parameters were drawn when the trial began.
      CHECK(b->system_attrs.contains(kRelativeParamsAttr) == (i >= 5));
      nlohmann::json values;
      for (const auto& [name, distribution] : space) {
        auto value = by_run.Suggest(b->number, name, distribution);
        REQUIRE_MESSAGE(value.ok(), value.error().message);
        values[name] = *value;
        // The same draw as the study that declares the space: the same sampler, the same trials.
        CHECK(*value == a->params.at(name).External());
      }
      REQUIRE(with_space.Tell(a->number, {TrialState::kComplete, Mixed(a->ParamsJson())}).ok());
      REQUIRE(by_run.Tell(b->number, {TrialState::kComplete, Mixed(values)}).ok());
    }
  }
}

TEST_CASE("define-by-run: a parameter not every trial holds, or held with another distribution, is drawn alone") {
  MemoryStorage storage;
  StudyConfig open{"open", StudyDirection::kMinimize, {"tpe", {{"seed", 2}, {"n_startup_trials", 3}}}, SearchSpace(), {}};
  Study study = *Study::Create(storage, open);
  Distribution x = FloatDistribution{0, 1, false, {}};
  Distribution wide = FloatDistribution{0, 10, false, {}};
  Distribution extra = IntDistribution{0, 9, false, 1};
  for (int i = 0; i < 12; ++i) {
    auto trial = study.Ask();
    REQUIRE(trial.ok());
    auto shared = RelativeParam(*trial, "x", x);
    CHECK(shared.has_value() == (i >= 3));
    CHECK_FALSE(RelativeParam(*trial, "extra", extra).has_value());  // only odd trials hold it
    CHECK_FALSE(RelativeParam(*trial, "x", wide).has_value());      // not this distribution
    auto value = study.Suggest(trial->number, "x", x);
    REQUIRE(value.ok());
    if (shared) CHECK(value->get<double>() == *shared);
    double v = std::abs(value->get<double>() - 0.3);
    if (i % 2) {
      auto e = study.Suggest(trial->number, "extra", extra);
      REQUIRE(e.ok());
      v += e->get<int64_t>() / 100.0;
    }
    REQUIRE(study.Tell(trial->number, {TrialState::kComplete, v}).ok());
  }
  // An enqueued value stays fixed; the shared draw leaves it alone.
  REQUIRE(study.Enqueue({{"x", 0.75}}).ok());
  auto fixed = study.Ask();
  CHECK_FALSE(RelativeParam(*fixed, "x", x).has_value());
  CHECK(*study.Suggest(fixed->number, "x", x) == 0.75);
  // A trial that suggests x with another range draws it alone, within that range.
  auto other = study.Ask();
  REQUIRE(RelativeParam(*other, "x", x).has_value());
  auto w = study.Suggest(other->number, "x", wide);
  REQUIRE(w.ok());
  CHECK(w->get<double>() >= 0);
  CHECK(w->get<double>() <= 10);
  // A hostile attribute (a value outside the distribution, a wrong type) is ignored.
  FrozenTrial edited = *other;
  edited.system_attrs[kRelativeParamsAttr]["x"]["internal"] = 7.5;
  CHECK_FALSE(RelativeParam(edited, "x", x).has_value());
  edited.system_attrs[kRelativeParamsAttr]["x"] = "0.5";
  CHECK_FALSE(RelativeParam(edited, "x", x).has_value());
  edited.system_attrs[kRelativeParamsAttr] = nlohmann::json::array();
  CHECK_FALSE(RelativeParam(edited, "x", x).has_value());
}

TEST_CASE("define-by-run: a branch's and a loop's parameters are inferred as conditional on what enables them") {
  Distribution classifier = CategoricalDistribution{{"svc", "rf", "knn"}};
  Distribution c = FloatDistribution{1e-3, 1e3, true, {}};
  Distribution depth = IntDistribution{1, 32, false, 1};
  Distribution layers = IntDistribution{1, 3, false, 1};
  Distribution units = IntDistribution{4, 128, true, 1};
  Distribution lr = FloatDistribution{1e-5, 1, true, {}};
  StudySnapshot snapshot;
  auto add = [&](TrialState state, std::map<std::string, TrialParam> params) {
    FrozenTrial t;
    t.number = static_cast<int>(snapshot.trials.size());
    t.state = state;
    t.params = std::move(params);
    snapshot.trials.push_back(std::move(t));
  };
  // classifier: svc -> c; rf -> depth; knn -> nothing. layers n -> units_0 .. units_{n-1}.
  // noise: in some trials, following nothing. lr: every trial, but twice with another range.
  for (int i = 0; i < 12; ++i) {
    std::map<std::string, TrialParam> p = {{"classifier", {classifier, static_cast<double>(i % 3)}},
                                           {"layers", {layers, static_cast<double>(1 + i % 4 % 3)}},
                                           {"lr", {i < 2 ? FloatDistribution{1e-4, 1, true, {}} : lr, 0.01}},
                                           {"run_id", {IntDistribution{0, 99, false, 1}, static_cast<double>(i)}}};
    if (i % 3 == 0) p["c"] = {c, 1.0};
    if (i % 3 == 1) p["depth"] = {depth, 4};
    for (int u = 0; u < 1 + i % 4 % 3; ++u) p["units_" + std::to_string(u)] = {units, 16};
    if (i % 5 == 0) p["noise"] = {lr, 0.1};
    add(TrialState::kComplete, std::move(p));
  }
  add(TrialState::kFail, {{"classifier", {classifier, 2}}, {"c", {c, 1.0}}});  // not COMPLETE: ignored
  SearchSpace space = DefineByRunSpace(snapshot);
  std::vector<std::string> names;
  for (const auto& [name, d] : space) names.push_back(name);
  // noise follows nothing; run_id differs in every trial, so it would "explain" noise: it may not.
  CHECK(names ==
        std::vector<std::string>{"c", "classifier", "depth", "layers", "run_id", "units_0", "units_1", "units_2"});
  CHECK(space.conditions.at("c") == ParamCondition{"classifier", {"svc"}});
  CHECK(space.conditions.at("depth") == ParamCondition{"classifier", {"rf"}});
  CHECK(space.conditions.count("units_0") == 0);  // every trial holds it
  CHECK(space.conditions.at("units_1").parent == "layers");
  auto units_2 = space.conditions.at("units_2");
  CHECK(units_2 == ParamCondition{"layers", {3}});
  CHECK(space.conditions.count("classifier") == 0);
  // A trial drawn from it keeps only what its draw makes active.
  MemoryStorage storage;
  Study study = *Study::Create(storage, {"open", StudyDirection::kMinimize, {"tpe", {{"seed", 1}}}, SearchSpace(), {}});
  for (int i = 0; i < 15; ++i) {
    auto trial = study.Ask();
    REQUIRE(trial.ok());
    auto kind = study.Suggest(trial->number, "classifier", classifier);
    REQUIRE(kind.ok());
    double v = 1;
    if (*kind == "svc") v = std::abs(std::log10(study.Suggest(trial->number, "c", c)->get<double>()));
    if (*kind == "rf") v = study.Suggest(trial->number, "depth", depth)->get<int64_t>();
    if (i >= 10) {  // past the startup trials: the draw holds the branch it chose, and only it
      CHECK(RelativeParam(*trial, "classifier", classifier).has_value());
      CHECK(RelativeParam(*trial, "c", c).has_value() == (*kind == "svc"));
      CHECK(RelativeParam(*trial, "depth", depth).has_value() == (*kind == "rf"));
    }
    REQUIRE(study.Tell(trial->number, {TrialState::kComplete, v}).ok());
  }
}

TEST_CASE("define-by-run: asks made together draw different points, as a declared space's do") {
  const SearchSpace space = MixedSpace();
  for (const std::string sampler : {"tpe", "gp", "auto"}) {
    CAPTURE(sampler);
    MemoryStorage storage;
    Study study = *Study::Create(
        storage, {"open", StudyDirection::kMinimize, {sampler, {{"seed", 4}, {"n_startup_trials", 8}}}, SearchSpace(), {}});
    for (int i = 0; i < 12; ++i) {
      auto trial = study.Ask();
      nlohmann::json values;
      for (const auto& [name, d] : space) values[name] = *study.Suggest(trial->number, name, d);
      REQUIRE(study.Tell(trial->number, {TrialState::kComplete, Mixed(values)}).ok());
    }
    // Four trials asked before any suggests: each draw knows the others' (constant liar, believer).
    std::vector<double> lrs;
    for (int k = 0; k < 4; ++k) {
      auto trial = study.Ask();
      REQUIRE(trial.ok());
      auto lr = RelativeParam(*trial, "lr", space.at("lr"));
      REQUIRE(lr.has_value());
      for (double other : lrs) CHECK(std::abs(std::log(*lr) - std::log(other)) > 1e-3);
      lrs.push_back(*lr);
    }
  }
}

TEST_CASE("several objectives: tell checks the count, NaN fails, constraints are stored, the front is feasible") {
  MemoryStorage storage;
  StudyConfig config = Config(StudyDirection::kMinimize);
  config.directions = {StudyDirection::kMinimize, StudyDirection::kMaximize};
  config.pruner = *ParsePrunerSpec("median");
  CHECK(Study::Validate(config).error().message ==
        "pruner: a study of 2 objectives cannot prune (as in Optuna); leave the pruner out or use nop");
  config.pruner = *ParsePrunerSpec("nop");
  Study study = *Study::Create(storage, config);
  CHECK(study.objectives() == 2);
  auto tell = [&](std::vector<double> values, std::optional<std::vector<double>> constraints = std::nullopt) {
    auto trial = study.Ask();
    TellRequest request;
    request.values = std::move(values);
    request.constraints = std::move(constraints);
    return study.Tell(trial->number, request);
  };
  CHECK(tell({1}).error().message == "study 's' has 2 objectives; got 1 value");
  CHECK(tell({1, 2, 3}).error().message == "study 's' has 2 objectives; got 3 values");
  CHECK(tell({1, NAN})->state == TrialState::kFail);
  REQUIRE(tell({1, 5})->state == TrialState::kComplete);         // 3: front
  REQUIRE(tell({2, 6}).ok());                                    // 4: front
  REQUIRE(tell({2, 4}).ok());                                    // 5: dominated by 3
  REQUIRE(tell({0, 9}, std::vector<double>{0.5}).ok());          // 6: would dominate all, infeasible
  REQUIRE(tell({3, 7}, std::vector<double>{-1, 0}).ok());        // 7: front, feasible
  auto front = study.BestTrials();
  REQUIRE(front.ok());
  std::vector<int> numbers;
  for (const auto& t : *front) numbers.push_back(t.number);
  CHECK(numbers == std::vector<int>{3, 4, 7});
  CHECK(study.Snapshot()->trials[6].system_attrs["constraints"] == nlohmann::json::array({0.5}));
  // Reports are kept and never prune.
  auto trial = study.Ask();
  CHECK(*study.Report(trial->number, 1, 0.5) == false);
}

TEST_CASE("pareto: dominance per direction, fronts, feasibility") {
  std::vector<StudyDirection> mm = {StudyDirection::kMinimize, StudyDirection::kMaximize};
  CHECK(Dominates({1, 5}, {2, 4}, mm));
  CHECK_FALSE(Dominates({1, 5}, {1, 5}, mm));
  CHECK_FALSE(Dominates({1, 3}, {2, 4}, mm));
  auto fronts = NonDominatedFronts({{1, 5}, {2, 4}, {0, 1}, {3, 3}, {2, 6}}, mm);
  REQUIRE(fronts.size() == 3);
  CHECK(fronts[0] == std::vector<size_t>{0, 2, 4});
  CHECK(fronts[1] == std::vector<size_t>{1});
  CHECK(fronts[2] == std::vector<size_t>{3});
  FrozenTrial t;
  CHECK(IsFeasible(t));
  t.system_attrs["constraints"] = {-1, 0};
  CHECK(IsFeasible(t));
  t.system_attrs["constraints"] = {-1, 0.25, 2};
  CHECK_FALSE(IsFeasible(t));
  CHECK(ConstraintViolation(t) == 2.25);
  t.system_attrs["constraints"] = {nullptr};
  CHECK_FALSE(IsFeasible(t));
  // Optuna 5's trial.set_constraint(key, v): one attribute per key, beside the list or alone.
  FrozenTrial keyed;
  keyed.system_attrs["constraints:latency"] = -0.5;
  keyed.system_attrs["constraints:memory"] = 0;
  keyed.system_attrs["constraintsX"] = 9;  // not one of them
  CHECK(IsFeasible(keyed));
  CHECK(*ConstraintsOf(keyed) == std::vector<double>{-0.5, 0});
  keyed.system_attrs["constraints:memory"] = 1.5;
  CHECK_FALSE(IsFeasible(keyed));
  CHECK(ConstraintViolation(keyed) == 1.5);
  keyed.system_attrs["constraints"] = {3};
  CHECK(*ConstraintsOf(keyed) == std::vector<double>{3, -0.5, 1.5});
  keyed.system_attrs["constraints"] = "garbage";  // a malformed list counts as none; the keyed ones still count
  keyed.system_attrs["constraints:memory"] = "garbage";
  CHECK(*ConstraintsOf(keyed) == std::vector<double>{-0.5});
}

TEST_CASE("study config is checked before anything is written") {
  MemoryStorage storage;
  StudyConfig config = Config(StudyDirection::kMinimize);
  config.sampler = {"cmaes", nlohmann::json::object()};
  CHECK(Study::Create(storage, config).error().message ==
        "unknown sampler 'cmaes'; choose auto, random, grid, tpe, gp or nsga2");
  config.sampler = {"random", {{"seeed", 1}}};
  CHECK(Study::Create(storage, config).error().message == "random sampler: unknown option 'seeed'");
  config.sampler = {"grid", nlohmann::json::object()};
  CHECK(Study::Create(storage, config).error().message.rfind(
            "grid sampler: float parameter 'x' needs a step", 0) == 0);
  config.sampler = {"gp", nlohmann::json::object()};
  config.directions = {StudyDirection::kMinimize, StudyDirection::kMaximize};
  config.pruner = {"nop", nlohmann::json::object()};
  CHECK(Study::Create(storage, config).error().message ==
        "sampler: gp models one objective; a study of 2 objectives needs auto, tpe or nsga2");
  CHECK(storage.ListStudies()->empty());
}

}  // namespace knob
