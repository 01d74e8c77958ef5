// One suite of Storage rules, run against every implementation.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <thread>

#include <unistd.h>

#include "search/pareto.h"
#include "studies/memory_storage.h"
#include "studies/postgres_storage.h"
#include "studies/sqlite_storage.h"
#include "test_support.h"

namespace knob {
namespace {

struct MemoryFixture {
  MemoryStorage storage;
  MemoryStorage& Get() { return storage; }
  // Another handle on the same data (for concurrency): the same object.
  Storage& Another() { return storage; }
};

struct SqliteFixture {
  testing::TempDir dir;
  std::unique_ptr<SqliteStorage> storage = Open();
  std::vector<std::unique_ptr<SqliteStorage>> others;
  std::unique_ptr<SqliteStorage> Open() {
    auto opened = SqliteStorage::Open(dir.File("s.db"), StorageAccess::kCreate);
    REQUIRE(opened.ok());
    return std::move(opened).value();
  }
  SqliteStorage& Get() { return *storage; }
  // A separate connection to the same file, as another process would have.
  Storage& Another() {
    others.push_back(Open());
    return *others.back();
  }
};

// A fresh database on the test server ($KNOB_TEST_POSTGRES_URL, which
// scripts/test.sh and .ci/run set after starting one), dropped afterwards.
struct PostgresFixture {
  std::string url;
  std::unique_ptr<PostgresStorage> storage;
  std::vector<std::unique_ptr<PostgresStorage>> others;
  std::string database;

  PostgresFixture() {
    auto base = testing::PostgresTestUrl();
    REQUIRE_MESSAGE(base, "set KNOB_TEST_POSTGRES_URL (scripts/test.sh starts a server)");
    static int counter = 0;
    database = "knob_conformance_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    url = testing::CreatePostgresDatabase(*base, database);
    storage = Open();
  }
  ~PostgresFixture() {
    storage.reset();
    others.clear();
    testing::DropPostgresDatabase(*testing::PostgresTestUrl(), database);
  }
  std::unique_ptr<PostgresStorage> Open() {
    auto opened = PostgresStorage::Open(url, StorageAccess::kCreate);
    REQUIRE_MESSAGE(opened.ok(), (opened.ok() ? "" : opened.error().message));
    return std::move(opened).value();
  }
  PostgresStorage& Get() { return *storage; }
  Storage& Another() {
    others.push_back(Open());
    return *others.back();
  }
};

TrialPlan PlanWith(double x) {
  TrialPlan plan;
  plan.params["x"] = TrialParam{FloatDistribution{0, 10, false, std::nullopt}, x};
  return plan;
}

TrialPlanner FixedPlanner(double x) {
  return [x](const StudySnapshot&) -> Result<TrialPlan> { return PlanWith(x); };
}

}  // namespace

TEST_CASE_TEMPLATE("storage: studies are created, found, listed and deleted", F, MemoryFixture,
                   SqliteFixture, PostgresFixture) {
  F f;
  Storage& s = f.Get();
  auto id = s.CreateStudy("a", StudyDirection::kMaximize, {{"knob:space", {{"k", 1}}}});
  REQUIRE(id.ok());
  auto again = s.CreateStudy("a", StudyDirection::kMinimize, nlohmann::json::object());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == ErrorKind::kBadInput);
  CHECK(again.error().message == "study 'a' already exists");
  REQUIRE(s.CreateStudy("b", StudyDirection::kMinimize, nlohmann::json::object()).ok());

  auto found = s.FindStudy("a");
  REQUIRE(found.ok());
  CHECK(found->study_id == *id);
  CHECK(found->direction == StudyDirection::kMaximize);
  CHECK(found->system_attrs["knob:space"]["k"] == 1);
  CHECK(s.FindStudy("nope").error().kind == ErrorKind::kBadInput);

  REQUIRE(s.SetStudyUserAttr(*id, "owner", "ada").ok());
  REQUIRE(s.SetStudyUserAttr(*id, "owner", "grace").ok());
  CHECK(s.FindStudy("a")->user_attrs["owner"] == "grace");

  REQUIRE(s.CreateTrial(*id, SnapshotParts::All(), FixedPlanner(1)).ok());
  REQUIRE(s.DeleteStudy(*id).ok());
  CHECK_FALSE(s.FindStudy("a").ok());
  auto list = s.ListStudies();
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK(list->front().name == "b");
}

TEST_CASE_TEMPLATE("storage: trials are numbered in order and keep what was planned", F,
                   MemoryFixture, SqliteFixture, PostgresFixture) {
  F f;
  Storage& s = f.Get();
  int64_t id = *s.CreateStudy("a", StudyDirection::kMinimize, nlohmann::json::object());
  for (int i = 0; i < 3; ++i) {
    auto trial = s.CreateTrial(id, SnapshotParts::All(), [&](const StudySnapshot& snap) -> Result<TrialPlan> {
      CHECK(snap.trials.size() == static_cast<size_t>(i));
      TrialPlan plan = PlanWith(i + 0.5);
      plan.system_attrs["grid_id"] = i;
      return plan;
    });
    REQUIRE(trial.ok());
    CHECK(trial->number == i);
    CHECK(trial->state == TrialState::kRunning);
    CHECK(trial->params.at("x").internal == i + 0.5);
    CHECK(trial->system_attrs["grid_id"] == i);
    CHECK_FALSE(trial->datetime_start.empty());
    CHECK(trial->datetime_complete.empty());
  }
  // A planner's error leaves nothing behind.
  auto failed = s.CreateTrial(id, SnapshotParts::All(), [](const StudySnapshot&) -> Result<TrialPlan> {
    return Error::Exhausted("nothing left");
  });
  CHECK(failed.error().kind == ErrorKind::kExhausted);
  CHECK(s.ReadStudy(id)->trials.size() == 3);
}

TEST_CASE_TEMPLATE("storage: values, intermediate values and attributes round-trip", F,
                   MemoryFixture, SqliteFixture, PostgresFixture) {
  F f;
  Storage& s = f.Get();
  int64_t id = *s.CreateStudy("a", StudyDirection::kMinimize, nlohmann::json::object());
  for (int i = 0; i < 3; ++i) REQUIRE(s.CreateTrial(id, SnapshotParts::All(), FixedPlanner(i)).ok());
  REQUIRE(s.SetIntermediateValue(id, 0, 0, 0.5).ok());
  REQUIRE(s.SetIntermediateValue(id, 0, 3, NAN).ok());
  REQUIRE(s.SetIntermediateValue(id, 0, 5, -INFINITY).ok());
  REQUIRE(s.SetIntermediateValue(id, 0, 0, 0.25).ok());  // a step reported again: last wins
  REQUIRE(s.SetTrialUserAttr(id, 0, "note", {{"a", {1, 2}}}).ok());
  REQUIRE(s.FinishTrial(id, 0, TrialState::kComplete, INFINITY, nlohmann::json::object()).ok());
  REQUIRE(s.FinishTrial(id, 1, TrialState::kComplete, -INFINITY, nlohmann::json::object()).ok());
  REQUIRE(s.FinishTrial(id, 2, TrialState::kFail, std::nullopt, {{"knob:fail_reason", "crash"}}).ok());

  auto snap = s.ReadStudy(id);
  REQUIRE(snap.ok());
  const auto& t0 = snap->trials[0];
  CHECK(t0.state == TrialState::kComplete);
  CHECK(*t0.value == INFINITY);
  CHECK(t0.intermediate_values.size() == 3);
  CHECK(t0.intermediate_values.at(0) == 0.25);
  CHECK(std::isnan(t0.intermediate_values.at(3)));
  CHECK(t0.intermediate_values.at(5) == -INFINITY);
  CHECK(t0.user_attrs["note"]["a"][1] == 2);
  CHECK_FALSE(t0.datetime_complete.empty());
  CHECK(*snap->trials[1].value == -INFINITY);
  CHECK(snap->trials[2].state == TrialState::kFail);
  CHECK_FALSE(snap->trials[2].value.has_value());
  CHECK(snap->trials[2].system_attrs["knob:fail_reason"] == "crash");
  CHECK(snap->BestTrial()->number == 1);
  auto one = s.ReadTrial(id, 2);
  REQUIRE(one.ok());
  CHECK(one->number == 2);
  CHECK(one->params.at("x").internal == 2);
}

TEST_CASE_TEMPLATE("storage: a poll brings the trials created or changed since the last one, whole", F,
                   MemoryFixture, SqliteFixture, PostgresFixture) {
  F f;
  Storage& s = f.Get();
  int64_t id = *s.CreateStudy("a", StudyDirection::kMinimize, nlohmann::json::object());
  int64_t other = *s.CreateStudy("b", StudyDirection::kMinimize, nlohmann::json::object());
  for (int i = 0; i < 4; ++i) REQUIRE(s.CreateTrial(id, SnapshotParts::All(), FixedPlanner(i)).ok());
  REQUIRE(s.FinishTrial(id, 0, TrialState::kComplete, 1.0, nlohmann::json::object()).ok());
  REQUIRE(s.FinishTrial(id, 1, TrialState::kComplete, 2.0, nlohmann::json::object()).ok());
  auto first = s.ReadStudy(id);
  REQUIRE(first.ok());
  // The reader saw 4 trials, 2 and 3 still running.
  TrialChanges cursor{first->trials[3].trial_id, {first->trials[2].trial_id, first->trials[3].trial_id}};
  REQUIRE(s.SetIntermediateValue(id, 2, 7, 0.5).ok());
  REQUIRE(s.FinishTrial(id, 3, TrialState::kPruned, 0.25, nlohmann::json::object()).ok());
  REQUIRE(s.CreateTrial(id, SnapshotParts::All(), FixedPlanner(9)).ok());
  REQUIRE(s.CreateTrial(other, SnapshotParts::All(), FixedPlanner(5)).ok());  // another study's: not brought

  auto changed = s.ReadChangedTrials(id, cursor);
  REQUIRE(changed.ok());
  REQUIRE(changed->trials.size() == 3);
  CHECK(changed->trials[0].number == 2);
  CHECK(changed->trials[0].intermediate_values.at(7) == 0.5);
  CHECK(changed->trials[0].params.at("x").internal == 2);
  CHECK(changed->trials[1].number == 3);
  CHECK(changed->trials[1].state == TrialState::kPruned);
  CHECK(changed->trials[2].number == 4);
  CHECK(changed->trials[2].params.at("x").internal == 9);
  // Nothing open and nothing new: nothing.
  auto none = s.ReadChangedTrials(id, TrialChanges{changed->trials[2].trial_id + 1000, {}});
  REQUIRE(none.ok());
  CHECK(none->trials.empty());
}

TEST_CASE_TEMPLATE("storage: a finished trial never changes", F, MemoryFixture, SqliteFixture, PostgresFixture) {
  F f;
  Storage& s = f.Get();
  int64_t id = *s.CreateStudy("a", StudyDirection::kMinimize, nlohmann::json::object());
  REQUIRE(s.CreateTrial(id, SnapshotParts::All(), FixedPlanner(1)).ok());
  REQUIRE(s.FinishTrial(id, 0, TrialState::kPruned, 0.5, nlohmann::json::object()).ok());
  auto before = s.ReadTrial(id, 0);
  auto again = s.FinishTrial(id, 0, TrialState::kComplete, 0.1, nlohmann::json::object());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == ErrorKind::kBadInput);
  CHECK(again.error().message == "trial 0 is already PRUNED; a finished trial never changes");
  CHECK_FALSE(s.SetIntermediateValue(id, 0, 1, 0.3).ok());
  CHECK_FALSE(s.SetTrialUserAttr(id, 0, "k", 1).ok());
  auto after = s.ReadTrial(id, 0);
  CHECK(after->state == TrialState::kPruned);
  CHECK(*after->value == 0.5);
  CHECK(after->intermediate_values.empty());
  CHECK(after->user_attrs.empty());
  CHECK(after->datetime_complete == before->datetime_complete);
  auto unknown = s.FinishTrial(id, 7, TrialState::kComplete, 1.0, nlohmann::json::object());
  CHECK(unknown.error().message == "no trial number 7 in this study");
}

TEST_CASE_TEMPLATE("storage: a WAITING trial is handed out by number and takes no values before", F,
                   MemoryFixture, SqliteFixture, PostgresFixture) {
  F f;
  Storage& s = f.Get();
  int64_t id = *s.CreateStudy("a", StudyDirection::kMinimize, nlohmann::json::object());
  REQUIRE(s.CreateTrial(id, SnapshotParts::All(), FixedPlanner(1)).ok());
  auto waiting = s.CreateWaitingTrial(id, {{"who", "me"}}, {{"fixed_params", {{"x", 3}}}});
  REQUIRE(waiting.ok());
  CHECK(*waiting == 1);
  auto told = s.FinishTrial(id, 1, TrialState::kComplete, 1.0, nlohmann::json::object());
  CHECK(told.error().message == "trial 1 is WAITING: it has not been asked for yet");
  auto read = s.ReadTrial(id, 1);
  CHECK(read->state == TrialState::kWaiting);
  CHECK(read->datetime_start.empty());
  CHECK(read->user_attrs["who"] == "me");
  auto taken = s.CreateTrial(id, SnapshotParts::All(), [](const StudySnapshot& snap) -> Result<TrialPlan> {
    TrialPlan plan = PlanWith(snap.trials[1].system_attrs["fixed_params"]["x"].get<double>());
    plan.waiting_number = 1;
    return plan;
  });
  REQUIRE(taken.ok());
  CHECK(taken->number == 1);
  CHECK(taken->state == TrialState::kRunning);
  CHECK(taken->params.at("x").internal == 3);
  CHECK_FALSE(taken->datetime_start.empty());
  CHECK(s.ReadStudy(id)->trials.size() == 2);
}

TEST_CASE_TEMPLATE("storage: concurrent creators never share a trial number", F, MemoryFixture,
                   SqliteFixture, PostgresFixture) {
  F f;
  int64_t id = *f.Get().CreateStudy("a", StudyDirection::kMinimize, nlohmann::json::object());
  std::vector<Storage*> handles;
  for (int w = 0; w < 4; ++w) handles.push_back(&f.Another());
  std::vector<std::thread> workers;
  std::vector<std::vector<int>> numbers(4);
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&, w] {
      for (int i = 0; i < 25; ++i) {
        auto trial = handles[w]->CreateTrial(id, SnapshotParts::All(), FixedPlanner(w));
        if (trial.ok()) {
          numbers[w].push_back(trial->number);
          (void)handles[w]->FinishTrial(id, trial->number, TrialState::kComplete, i, nlohmann::json::object());
        }
      }
    });
  for (auto& t : workers) t.join();
  std::set<int> all;
  size_t count = 0;
  for (const auto& n : numbers) {
    all.insert(n.begin(), n.end());
    count += n.size();
  }
  CHECK(count == 100);
  CHECK(all.size() == 100);
  CHECK(*all.rbegin() == 99);
  auto snap = f.Get().ReadStudy(id);
  for (const auto& t : snap->trials) CHECK(t.state == TrialState::kComplete);
}

}  // namespace knob

namespace knob {

TEST_CASE_TEMPLATE("storage: heartbeats make a RUNNING trial stale only once it stops beating", F,
                   MemoryFixture, SqliteFixture, PostgresFixture) {
  F f;
  Storage& s = f.Get();
  int64_t id = *s.CreateStudy("a", StudyDirection::kMinimize, nlohmann::json::object());
  // Trial 0 beats from its creation on; trial 1 never beats (asked through the CLI).
  REQUIRE(s.CreateTrial(id, SnapshotParts::All(), [](const StudySnapshot&) -> Result<TrialPlan> {
    TrialPlan plan = PlanWith(1);
    plan.heartbeat = true;
    return plan;
  }).ok());
  REQUIRE(s.CreateTrial(id, SnapshotParts::All(), FixedPlanner(2)).ok());
  auto fresh = s.StaleTrials(id, 3600);
  REQUIRE(fresh.ok());
  CHECK(fresh->empty());
  // With no grace at all, any beat in the past is stale; the silent trial never is.
  auto stale = s.StaleTrials(id, -1);
  REQUIRE(stale.ok());
  CHECK(*stale == std::vector<int>{0});
  REQUIRE(s.RecordHeartbeats(id, {0, 1}).ok());
  CHECK(*s.StaleTrials(id, -1) == std::vector<int>{0, 1});
  // A finished trial is never stale, and beating it again is a no-op.
  REQUIRE(s.FinishTrial(id, 0, TrialState::kComplete, 1.0, nlohmann::json::object()).ok());
  REQUIRE(s.RecordHeartbeats(id, {0}).ok());
  CHECK(*s.StaleTrials(id, -1) == std::vector<int>{1});
}

TEST_CASE_TEMPLATE("storage: system attributes of running trials and studies; user attrs at finish", F,
                   MemoryFixture, SqliteFixture, PostgresFixture) {
  F f;
  Storage& s = f.Get();
  int64_t id = *s.CreateStudy("a", StudyDirection::kMinimize, nlohmann::json::object());
  REQUIRE(s.SetStudySystemAttr(id, "knob:pruner", {{"name", "median"}}).ok());
  REQUIRE(s.SetStudySystemAttr(id, "knob:pruner", {{"name", "asha"}}).ok());
  CHECK(s.FindStudy("a")->system_attrs["knob:pruner"]["name"] == "asha");
  REQUIRE(s.CreateTrial(id, SnapshotParts::All(), FixedPlanner(1)).ok());
  REQUIRE(s.SetTrialSystemAttrs(id, 0, {{"completed_rung_0", 0.5}, {"k", "v"}}).ok());
  REQUIRE(s.SetTrialSystemAttrs(id, 0, {{"k", "w"}}).ok());
  REQUIRE(s.FinishTrial(id, 0, TrialState::kComplete, 1.0, nlohmann::json::object(),
                        {{"metrics", {{"eval_loss", 0.25}}}}).ok());
  auto read = s.ReadTrial(id, 0);
  CHECK(read->system_attrs["completed_rung_0"] == 0.5);
  CHECK(read->system_attrs["k"] == "w");
  CHECK(read->user_attrs["metrics"]["eval_loss"] == 0.25);
  auto late = s.SetTrialSystemAttrs(id, 0, {{"k", "x"}});
  CHECK(late.error().message == "trial 0 is already COMPLETE; a finished trial never changes");
  // A snapshot of only some parts still carries states and system attributes.
  auto states = s.ReadStudy(id, SnapshotParts::StatesOnly());
  CHECK(states->trials[0].state == TrialState::kComplete);
  CHECK(states->trials[0].system_attrs["k"] == "w");
  // The least a reader can ask for still brings a WAITING trial's fixed params.
  REQUIRE(s.CreateWaitingTrial(id, nlohmann::json::object(), {{"fixed_params", {{"x", 2}}}}).ok());
  auto minimal = s.ReadStudy(id, SnapshotParts::Minimal());
  CHECK(minimal->trials[1].state == TrialState::kWaiting);
  CHECK(minimal->trials[1].system_attrs["fixed_params"]["x"] == 2);
}

TEST_CASE_TEMPLATE("storage: a running trial takes new parameters once each (define-by-run)", F,
                   MemoryFixture, SqliteFixture, PostgresFixture) {
  F f;
  Storage& s = f.Get();
  int64_t id = *s.CreateStudy("a", StudyDirection::kMinimize, nlohmann::json::object());
  REQUIRE(s.CreateTrial(id, SnapshotParts::All(), FixedPlanner(1)).ok());
  TrialParam units{IntDistribution{1, 64, true, 1}, 8};
  TrialParam kind{CategoricalDistribution{{"a", nullptr, 3}}, 1};
  REQUIRE(s.SetTrialParam(id, 0, "units", units).ok());
  REQUIRE(s.SetTrialParam(id, 0, "kind", kind).ok());
  auto again = s.SetTrialParam(id, 0, "units", units);
  CHECK(again.error().message == "trial 0 already has a parameter 'units'");
  auto read = s.ReadTrial(id, 0);
  CHECK(read->params.at("units").distribution == units.distribution);
  CHECK(read->params.at("units").internal == 8);
  CHECK(read->params.at("kind").External().is_null());
  REQUIRE(s.FinishTrial(id, 0, TrialState::kComplete, 1.0, nlohmann::json::object()).ok());
  CHECK(s.SetTrialParam(id, 0, "late", units).error().message ==
        "trial 0 is already COMPLETE; a finished trial never changes");
  CHECK(s.SetTrialParam(id, 9, "x", units).error().message == "no trial number 9 in this study");
}

TEST_CASE_TEMPLATE("storage: several objectives keep every direction and value, in order", F,
                   MemoryFixture, SqliteFixture, PostgresFixture) {
  F f;
  Storage& s = f.Get();
  std::vector<StudyDirection> directions = {StudyDirection::kMaximize, StudyDirection::kMinimize,
                                            StudyDirection::kMinimize};
  int64_t id = *s.CreateStudy("mo", directions, nlohmann::json::object());
  CHECK(s.FindStudy("mo")->directions == directions);
  CHECK(s.FindStudy("mo")->direction == StudyDirection::kMaximize);
  CHECK(s.CreateStudy("none", std::vector<StudyDirection>{}, nlohmann::json::object()).error().kind ==
        ErrorKind::kBadInput);
  REQUIRE(s.CreateTrial(id, SnapshotParts::All(), FixedPlanner(1)).ok());
  REQUIRE(s.CreateTrial(id, SnapshotParts::All(), FixedPlanner(2)).ok());
  REQUIRE(s.FinishTrial(id, 0, TrialState::kComplete, 0.9,
                        {{"constraints", {0.5, -1}}, {"constraints:latency", -3}, {"other", 1}},
                        nlohmann::json::object(), {0.9, INFINITY, -2.5}).ok());
  REQUIRE(s.FinishTrial(id, 1, TrialState::kPruned, std::nullopt, nlohmann::json::object()).ok());
  auto snapshot = s.ReadStudy(id);
  CHECK(snapshot->directions == directions);
  CHECK(snapshot->trials[0].values == std::vector<double>{0.9, INFINITY, -2.5});
  CHECK(*snapshot->trials[0].value == 0.9);
  CHECK(snapshot->trials[0].system_attrs["constraints"][0] == 0.5);
  // A snapshot without system attributes still brings both forms of constraints (pareto.h).
  SnapshotParts lean;
  lean.system_attrs = false;
  auto without = s.ReadStudy(id, lean);
  CHECK(*ConstraintsOf(without->trials[0]) == std::vector<double>{0.5, -1, -3});
  CHECK(snapshot->trials[1].values.empty());
  CHECK(s.ReadTrial(id, 0)->values.size() == 3);
  // One objective: `values` holds the one value too.
  int64_t single = *s.CreateStudy("one", StudyDirection::kMinimize, nlohmann::json::object());
  REQUIRE(s.CreateTrial(single, SnapshotParts::All(), FixedPlanner(1)).ok());
  REQUIRE(s.FinishTrial(single, 0, TrialState::kComplete, 4.0, nlohmann::json::object()).ok());
  CHECK(s.ReadTrial(single, 0)->values == std::vector<double>{4.0});
  CHECK(s.FindStudy("one")->directions == std::vector<StudyDirection>{StudyDirection::kMinimize});
}

}  // namespace knob
