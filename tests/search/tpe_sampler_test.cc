#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "search/samplers/tpe/trial_ranking.h"
#include "studies/memory_storage.h"
#include "studies/study.h"

namespace knob {
namespace {

SearchSpace Space2d() {
  return *ParseSearchSpaceText(R"({"x": {"type": "float", "low": -5, "high": 5},
                                   "y": {"type": "float", "low": -5, "high": 5}})");
}

double Sphere(const FrozenTrial& t) {
  double x = t.params.at("x").internal, y = t.params.at("y").internal;
  return (x - 1) * (x - 1) + (y + 2) * (y + 2);
}

Study TpeStudy(MemoryStorage& storage, nlohmann::json options, const std::string& name = "t") {
  auto study = Study::Create(storage, {name, StudyDirection::kMinimize, {"tpe", options}, Space2d()});
  REQUIRE(study.ok());
  return std::move(study).value();
}

}  // namespace

TEST_CASE("TPE beats random search on a smooth function") {
  double tpe_total = 0, random_total = 0;
  for (int seed = 0; seed < 5; ++seed) {
    for (const char* sampler : {"tpe", "random"}) {
      MemoryStorage storage;
      auto study = *Study::Create(storage, {"s", StudyDirection::kMinimize, {sampler, {{"seed", seed}}}, Space2d()});
      double best = INFINITY;
      for (int i = 0; i < 60; ++i) {
        auto t = study.Ask();
        REQUIRE(t.ok());
        best = std::min(best, Sphere(*t));
        REQUIRE(study.Tell(t->number, {TrialState::kComplete, Sphere(*t)}).ok());
      }
      (std::string(sampler) == "tpe" ? tpe_total : random_total) += best;
    }
  }
  CHECK(tpe_total < random_total / 3);
}

TEST_CASE("four workers asking before any tells get clearly different suggestions (constant liar)") {
  MemoryStorage storage;
  Study study = TpeStudy(storage, {{"seed", 0}});
  for (int i = 0; i < 20; ++i) {
    auto t = study.Ask();
    REQUIRE(study.Tell(t->number, {TrialState::kComplete, Sphere(*t)}).ok());
  }
  std::vector<std::pair<double, double>> points;
  for (int w = 0; w < 4; ++w) {
    auto t = study.Ask();
    REQUIRE(t.ok());
    points.emplace_back(t->params.at("x").internal, t->params.at("y").internal);
  }
  for (size_t a = 0; a < points.size(); ++a)
    for (size_t b = 0; b < a; ++b)
      CHECK(std::hypot(points[a].first - points[b].first, points[a].second - points[b].second) > 0.05);

}

TEST_CASE("seeded TPE gives the same suggestions for the same history") {
  std::vector<std::string> runs[2];
  for (auto& run : runs) {
    MemoryStorage storage;
    Study study = TpeStudy(storage, {{"seed", 7}, {"n_startup_trials", 5}});
    for (int i = 0; i < 15; ++i) {
      auto t = study.Ask();
      run.push_back(t->ParamsJson().dump());
      REQUIRE(study.Tell(t->number, {TrialState::kComplete, Sphere(*t)}).ok());
    }
  }
  CHECK(runs[0] == runs[1]);
}

TEST_CASE("conditional parameters exist only while their condition holds") {
  MemoryStorage storage;
  auto space = *ParseSearchSpaceText(R"({
    "model": {"type": "categorical", "choices": ["linear", "net"]},
    "alpha": {"type": "float", "low": 0.001, "high": 1, "log": true, "when": {"model": "linear"}},
    "width": {"type": "int", "low": 8, "high": 64, "when": {"model": ["net"]}},
    "act":   {"type": "categorical", "choices": ["relu", "tanh"], "when": {"width": [8, 9, 10]}}})");
  auto study = *Study::Create(storage, {"c", StudyDirection::kMinimize, {"tpe", {{"seed", 1}}}, space});
  std::set<std::string> shapes;
  for (int i = 0; i < 60; ++i) {
    auto t = study.Ask();
    REQUIRE(t.ok());
    auto p = t->ParamsJson();
    if (p["model"] == "linear") {
      CHECK(p.contains("alpha"));
      CHECK_FALSE(p.contains("width"));
      CHECK_FALSE(p.contains("act"));
    } else {
      CHECK_FALSE(p.contains("alpha"));
      CHECK(p.contains("width"));
      CHECK(p.contains("act") == (p["width"].get<int>() <= 10));
    }
    std::string shape;
    for (const auto& [k, v] : p.items()) shape += k + ",";
    shapes.insert(shape);
    double value = p["model"] == "net" ? std::abs(p["width"].get<double>() - 32) : 10.0;
    REQUIRE(study.Tell(t->number, {TrialState::kComplete, value}).ok());
  }
  CHECK(shapes.size() >= 2);
  // TPE learnt that "net" is better: most trials after startup use it.
  auto snapshot = study.Snapshot();
  int late_net = 0;
  for (const auto& t : snapshot->trials)
    if (t.number >= 30 && t.ParamsJson()["model"] == "net") ++late_net;
  CHECK(late_net >= 20);
}

TEST_CASE("ranking: complete by value, then pruned by progress, then running, then failed") {
  StudySnapshot s;
  s.direction = StudyDirection::kMaximize;
  auto add = [&](TrialState state, std::optional<double> value, std::map<int64_t, double> steps) {
    FrozenTrial t;
    t.number = static_cast<int>(s.trials.size());
    t.state = state;
    t.value = value;
    t.intermediate_values = steps;
    t.params["x"] = TrialParam{FloatDistribution{0, 1, false, std::nullopt}, 0.5};
    s.trials.push_back(t);
  };
  add(TrialState::kComplete, 1.0, {});                       // 0
  add(TrialState::kPruned, 0.9, {{1, 0.9}});                 // 1
  add(TrialState::kComplete, 3.0, {});                       // 2
  add(TrialState::kPruned, 0.2, {{1, 0.5}, {4, 0.2}});       // 3: got further than 1
  add(TrialState::kRunning, std::nullopt, {});               // 4
  add(TrialState::kFail, std::nullopt, {});                  // 5: bad side, last, not counted
  add(TrialState::kPruned, std::nullopt, {});                // 6
  auto ranked = RankTrials(s, true, [](int n) { return n / 2; });
  std::vector<int> order;
  for (const auto* t : ranked.ranked) order.push_back(t->number);
  CHECK(order == std::vector<int>{2, 0, 3, 1, 6, 4, 5});
  CHECK(ranked.n_finished == 5);
  CHECK(ranked.n_below == 2);
  CHECK(ranked.below_weights.empty());
  CHECK(RankTrials(s, false, [](int) { return 99; }).ranked.size() == 6);  // no liar: the running one is left out
  CHECK(RankTrials(s, false, [](int) { return 99; }).n_below == 5);
}

}  // namespace knob

namespace knob {

TEST_CASE("remembering finished trials between asks changes no suggestion") {
  auto other_space = *ParseSearchSpaceText(R"({"x": {"type": "float", "low": -5, "high": 5},
                                               "y": {"type": "float", "low": -5, "high": 0}})");
  MemoryStorage kept_storage, fresh_storage;
  Study kept = TpeStudy(kept_storage, {{"seed", 4}, {"n_startup_trials", 5}});
  TpeStudy(fresh_storage, {{"seed", 4}, {"n_startup_trials", 5}});
  for (int i = 0; i < 40; ++i) {
    // The fresh side opens the study anew for every ask: nothing is remembered.
    Study fresh = *Study::Open(fresh_storage, "t");
    std::optional<SearchSpace> space;
    if (i >= 25 && i < 30) space = other_space;  // a changed space must not reuse rows
    auto a = kept.Ask(space), b = fresh.Ask(space);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->ParamsJson() == b->ParamsJson());
    REQUIRE(kept.Tell(a->number, {TrialState::kComplete, Sphere(*a)}).ok());
    REQUIRE(fresh.Tell(b->number, {TrialState::kComplete, Sphere(*b)}).ok());
  }
}

}  // namespace knob

namespace knob {

TEST_CASE("TPE draws parameters jointly for one objective and each alone for several, unless told") {
  // The same history asked with the option unset and with each explicit value:
  // unset must match multivariate=false for two objectives, true for one.
  auto params_after = [](std::vector<StudyDirection> directions, nlohmann::json options) {
    MemoryStorage storage;
    options["seed"] = 3;
    options["n_startup_trials"] = 5;
    StudyConfig config{"s", directions.front(), {"tpe", options}, Space2d()};
    config.directions = directions;
    config.pruner = PrunerSpec{"nop", nlohmann::json::object()};
    auto created = Study::Create(storage, config);
    std::string why = created.ok() ? std::string() : created.error().message;
    INFO(why);
    REQUIRE(created.ok());
    Study study = std::move(created).value();
    nlohmann::json last;
    for (int i = 0; i < 25; ++i) {
      auto t = study.Ask();
      REQUIRE(t.ok());
      double v = Sphere(*t);
      TellRequest tell;
      if (directions.size() > 1) tell.values = {v, t->params.at("x").internal * t->params.at("y").internal};
      else tell.value = v;
      REQUIRE(study.Tell(t->number, tell).ok());
      last = t->ParamsJson();
    }
    return last;
  };
  std::vector<StudyDirection> two{StudyDirection::kMinimize, StudyDirection::kMinimize};
  std::vector<StudyDirection> one{StudyDirection::kMinimize};
  auto joint = params_after(two, {{"multivariate", true}}), alone = params_after(two, {{"multivariate", false}});
  CHECK(joint != alone);
  CHECK(params_after(two, nlohmann::json::object()) == alone);
  auto joint1 = params_after(one, {{"multivariate", true}}), alone1 = params_after(one, {{"multivariate", false}});
  CHECK(joint1 != alone1);
  CHECK(params_after(one, nlohmann::json::object()) == joint1);
}

}  // namespace knob
