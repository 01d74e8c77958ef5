#include <doctest/doctest.h>

#include <set>

#include "search/samplers/grid_sampler.h"
#include "studies/memory_storage.h"
#include "studies/study.h"

namespace knob {
namespace {

SearchSpace GridSpace() {
  return *ParseSearchSpaceText(R"({
    "opt": {"type": "categorical", "choices": ["adamw", "sgd"]},
    "layers": {"type": "int", "low": 1, "high": 3},
    "dropout": {"type": "float", "low": 0.0, "high": 0.2, "step": 0.1}})");
}

Study MakeStudy(MemoryStorage& storage, nlohmann::json options) {
  StudyConfig config{"g", StudyDirection::kMinimize, {"grid", options}, GridSpace()};
  auto study = Study::Create(storage, config);
  REQUIRE(study.ok());
  return std::move(study).value();
}

}  // namespace

TEST_CASE("the grid hands out every combination exactly once, then says it is used up") {
  for (auto options : {nlohmann::json::object(), nlohmann::json{{"seed", 3}}}) {
    MemoryStorage storage;
    Study study = MakeStudy(storage, options);
    std::set<std::string> seen;
    for (int i = 0; i < 18; ++i) {
      auto trial = study.Ask();
      REQUIRE(trial.ok());
      seen.insert(trial->ParamsJson().dump());
      CHECK(trial->system_attrs["search_space"]["layers"] == nlohmann::json{1, 2, 3});
      if (i % 3 == 0) REQUIRE(study.Tell(trial->number, {TrialState::kComplete, 1.0}).ok());
    }
    CHECK(seen.size() == 18);
    auto exhausted = study.Ask();
    REQUIRE_FALSE(exhausted.ok());
    CHECK(exhausted.error().kind == ErrorKind::kExhausted);
    CHECK(exhausted.error().ExitCode() == 3);
    CHECK(exhausted.error().message == "the grid of 18 points is used up: every point has a trial");
  }
}

TEST_CASE("a seeded grid visits its points in a shuffled, reproducible order") {
  auto order = [](nlohmann::json options) {
    MemoryStorage storage;
    Study study = MakeStudy(storage, options);
    std::vector<std::string> points;
    for (int i = 0; i < 18; ++i) points.push_back(study.Ask()->ParamsJson().dump());
    return points;
  };
  CHECK(order({{"seed", 3}}) == order({{"seed", 3}}));
  CHECK(order({{"seed", 3}}) != order(nlohmann::json::object()));
}

TEST_CASE("an enqueued grid point is not handed out twice") {
  MemoryStorage storage;
  Study study = MakeStudy(storage, nlohmann::json::object());
  REQUIRE(study.Enqueue({{"opt", "sgd"}, {"layers", 2}, {"dropout", 0.1}}).ok());
  auto first = study.Ask();
  REQUIRE(first.ok());
  CHECK(first->ParamsJson() == nlohmann::json{{"opt", "sgd"}, {"layers", 2}, {"dropout", 0.1}});
  std::set<std::string> seen{first->ParamsJson().dump()};
  for (int i = 1; i < 18; ++i) seen.insert(study.Ask()->ParamsJson().dump());
  CHECK(seen.size() == 18);
  CHECK(study.Ask().error().kind == ErrorKind::kExhausted);
}

TEST_CASE("grid floats need a step or explicit values") {
  auto space = *ParseSearchSpaceText(R"({"lr": {"type": "float", "low": 0.001, "high": 0.1, "log": true}})");
  auto missing = GridSampler::Create(space, nullptr, std::nullopt);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.rfind("grid sampler: float parameter 'lr' needs a step or explicit values", 0) == 0);
  auto given = GridSampler::Create(space, {{"lr", {0.001, 0.01, 0.1}}}, std::nullopt);
  REQUIRE(given.ok());
  CHECK((*given)->size() == 3);
  CHECK_FALSE(GridSampler::Create(space, {{"lr", {0.5}}}, std::nullopt).ok());      // outside
  CHECK_FALSE(GridSampler::Create(space, {{"other", {1}}}, std::nullopt).ok());     // unknown name
  CHECK_FALSE(GridSampler::Create(space, {{"lr", {0.01, 0.01}}}, std::nullopt).ok());  // twice
}

}  // namespace knob
