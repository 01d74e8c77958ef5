// knob run's policy, in-process: the real orchestrator, Study and an in-memory
// storage, with scripted trainers on a fake clock (FakeTrialRunner) instead of
// processes. Budgets, retries, failures in a row, timeouts and the grace after
// SIGTERM, pruning, Ctrl-C and the study timeout, each checked at exact fake times.
#include <doctest/doctest.h>

#include <signal.h>

#include <set>

#include "launcher/fake_trial_runner.h"
#include "launcher/run/orchestrator.h"
#include "studies/memory_storage.h"
#include "studies/yaml_document.h"
#include "test_support.h"

namespace knob {
namespace {

using testing::FakeTrainer;
using testing::FakeTrialRunner;

// The params a trial was launched with, from its environment.
nlohmann::json ParamsOf(const TrialLaunch& launch) {
  for (const auto& var : launch.spec.env)
    if (var.rfind("KNOB_PARAMS=", 0) == 0) return nlohmann::json::parse(var.substr(12));
  return nullptr;
}

struct PolicyRun {
  explicit PolicyRun(const std::string& yaml, int slots = 1) {
    // A key given twice is bad input: the default trainer only where `yaml` has none.
    std::string trainer = yaml.find("trainer:") == std::string::npos ? "trainer: {command: [trainer]}\n" : "";
    auto doc = ParseYamlDocument("study.yaml", yaml + trainer + "output_dir: runs\n");
    REQUIRE(doc.ok());
    auto parsed = ParseStudyFile("study.yaml", dir.path().string(), doc->root, doc->lines);
    INFO((parsed.ok() ? "" : parsed.error().message));
    REQUIRE(parsed.ok());
    file = *parsed;
    for (int i = 0; i < slots; ++i) plan_slots.push_back(Slot{i, {}});
  }

  Status Run(FakeTrialRunner& runner) {
    auto study = Study::Create(storage, file.config);
    REQUIRE(study.ok());
    RunPlan plan{file, plan_slots, static_cast<int>(plan_slots.size()), false, "off"};
    Status status = RunStudy(storage, *study, plan, runner);
    auto record = storage.FindStudy(file.config.name);
    REQUIRE(record.ok());
    snapshot = *storage.ReadStudy(record->study_id);
    return status;
  }

  int Count(TrialState state) const {
    int n = 0;
    for (const auto& t : snapshot.trials) n += t.state == state;
    return n;
  }

  testing::TempDir dir;
  MemoryStorage storage;
  StudyFile file;
  std::vector<Slot> plan_slots;
  StudySnapshot snapshot;
};

const std::string kSpace = "space: {x: {type: float, low: 0, high: 1}}\nsampler: {name: random, seed: 3}\n";

FakeTrainer Exits(int code) {
  FakeTrainer t;
  t.ending = FakeTrainer::Ending::kExit;
  t.code_or_signal = code;
  return t;
}

FakeTrainer Finishes(double value, double seconds = 1) {
  FakeTrainer t;
  t.value = value;
  t.seconds = seconds;
  return t;
}

}  // namespace

TEST_CASE("policy: the budget exactly, every slot busy and never more, each value as the trainer sent it") {
  PolicyRun run("study: budget\nn_trials: 10\n" + kSpace, 3);
  FakeTrialRunner runner([](const TrialLaunch& l) { return Finishes(ParamsOf(l)["x"].get<double>(), 1 + l.number % 3); });
  CHECK(run.Run(runner).ok());
  CHECK(run.Count(TrialState::kComplete) == 10);
  CHECK(run.snapshot.trials.size() == 10);
  CHECK(runner.max_running() == 3);
  for (const auto& t : run.snapshot.trials) CHECK(*t.value == t.ParamsJson()["x"].get<double>());
}

TEST_CASE("policy: a failed trial runs again with the same params; failures in a row stop the run") {
  SUBCASE("retries") {
    PolicyRun run("study: retry\nn_trials: 4\n" + kSpace + "max_failures: 100\n", 1);
    run.file.trainer.retries = 1;
    std::set<std::string> seen;
    FakeTrialRunner runner([&](const TrialLaunch& l) {
      FakeTrainer t = Finishes(0.5);
      if (seen.insert(ParamsOf(l).dump()).second) {  // the first attempt of these params crashes
        t.ending = FakeTrainer::Ending::kSignal;
        t.code_or_signal = SIGSEGV;
      }
      return t;
    });
    CHECK(run.Run(runner).ok());
    CHECK(run.Count(TrialState::kComplete) == 4);
    CHECK(run.Count(TrialState::kFail) == 4);
    for (const auto& t : run.snapshot.trials) {
      if (t.state != TrialState::kComplete) continue;
      int failed = t.system_attrs["failed_trial"];
      CHECK(run.snapshot.trials[failed].state == TrialState::kFail);
      CHECK(run.snapshot.trials[failed].ParamsJson() == t.ParamsJson());
      CHECK(run.snapshot.trials[failed].system_attrs["knob:fail_reason"].get<std::string>().rfind(
                "killed by signal SIGSEGV", 0) == 0);
    }
  }
  SUBCASE("max_failures") {
    PolicyRun run("study: failing\nn_trials: 4\nmax_failures: 3\n" + kSpace, 1);
    FakeTrialRunner runner([](const TrialLaunch&) { return Exits(3); });
    Status status = run.Run(runner);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().ExitCode() == 1);
    CHECK(status.error().message.rfind("stopped after 3 failed trials in a row (max_failures); the last: exit code 3", 0) == 0);
    CHECK(run.Count(TrialState::kFail) == 3);
    CHECK(run.snapshot.trials.size() == 3);
  }
  SUBCASE("a trainer that cannot start") {
    PolicyRun run("study: nostart\nn_trials: 2\nmax_failures: 2\n" + kSpace, 2);
    FakeTrialRunner runner([](const TrialLaunch&) {
      FakeTrainer t;
      t.start_error = "cannot start 'trainer': not an executable file or not on PATH";
      return t;
    });
    CHECK_FALSE(run.Run(runner).ok());
    CHECK(run.Count(TrialState::kFail) == 2);
    for (const auto& t : run.snapshot.trials) CHECK(t.system_attrs["knob:fail_kind"] == "start");
  }
}

TEST_CASE("policy: a timeout stops a hanging trainer; one that ignores SIGTERM dies after the grace") {
  PolicyRun run("study: hang\nn_trials: 1\nmax_failures: 1\n" + kSpace +
                "trainer: {command: [trainer], timeout: 1m, stop_grace: 5s}\n", 1);
  run.file.trainer.timeout_seconds = 60;
  run.file.trainer.stop_grace_seconds = 5;
  FakeTrialRunner runner([](const TrialLaunch&) {
    FakeTrainer t;
    t.ending = FakeTrainer::Ending::kHang;
    t.ignores_sigterm = true;
    return t;
  });
  CHECK_FALSE(run.Run(runner).ok());
  REQUIRE(run.snapshot.trials.size() == 1);
  CHECK(runner.ended_at().at(0) == doctest::Approx(65));
  CHECK(run.snapshot.trials[0].system_attrs["knob:fail_kind"] == "timeout");
  CHECK(run.snapshot.trials[0].system_attrs["knob:fail_reason"].get<std::string>().rfind("timed out after 1m00s", 0) == 0);
}

TEST_CASE("policy: a report past the pruner's threshold prunes; a trainer that does not stop is stopped") {
  for (bool ignores : {false, true}) {
    PolicyRun run("study: prune\nn_trials: 2\npruner: {name: threshold, upper: 1.0}\n" + kSpace, 1);
    run.file.trainer.stop_grace_seconds = 7;
    FakeTrialRunner runner([&](const TrialLaunch&) {
      FakeTrainer t = Finishes(0.1);
      t.reports = {{1, 0.5}, {2, 2.0}, {3, 0.2}};
      t.ending = FakeTrainer::Ending::kHang;  // until it is told, or made, to stop
      t.ignores_prune = ignores;
      return t;
    });
    CHECK(run.Run(runner).ok());
    CHECK(run.Count(TrialState::kPruned) == 2);
    for (const auto& t : run.snapshot.trials) {
      CHECK(t.intermediate_values.count(2) == 1);
      CHECK(t.intermediate_values.count(3) == (ignores ? 1 : 0));  // it went on reporting
    }
    // Reports a second apart: pruned at 2 s after its start, or stopped 7 s later.
    CHECK(runner.ended_at().at(0) == doctest::Approx(ignores ? 9 : 2));
  }
}

TEST_CASE("policy: Ctrl-C once lets running trials finish; twice stops them, and they run again") {
  SUBCASE("once") {
    PolicyRun run("study: once\nn_trials: 10\n" + kSpace, 2);
    FakeTrialRunner runner([](const TrialLaunch&) { return Finishes(0.5, 100); });
    runner.SignalAt(10, SIGINT);
    Status status = run.Run(runner);
    CHECK(status.error().ExitCode() == 130);
    CHECK(run.Count(TrialState::kComplete) == 2);
    CHECK(run.snapshot.trials.size() == 2);
    CHECK(runner.ended_at().at(0) == doctest::Approx(101));
  }
  SUBCASE("twice") {
    PolicyRun run("study: twice\nn_trials: 10\n" + kSpace, 2);
    FakeTrialRunner runner([](const TrialLaunch&) { return Finishes(0.5, 100); });
    runner.SignalAt(10, SIGINT);
    runner.SignalAt(20, SIGINT);
    CHECK(run.Run(runner).error().ExitCode() == 130);
    CHECK(run.Count(TrialState::kFail) == 2);
    CHECK(run.Count(TrialState::kWaiting) == 2);  // interrupted trials always run again
    CHECK(runner.ended_at().at(0) == doctest::Approx(20));
    for (const auto& t : run.snapshot.trials)
      if (t.state == TrialState::kFail) CHECK(t.system_attrs["knob:fail_kind"] == "interrupted");
  }
  SUBCASE("SIGTERM stops them at once") {
    PolicyRun run("study: term\nn_trials: 10\n" + kSpace, 1);
    FakeTrialRunner runner([](const TrialLaunch&) { return Finishes(0.5, 100); });
    runner.SignalAt(10, SIGTERM);
    CHECK(run.Run(runner).error().ExitCode() == 130);
    CHECK(run.Count(TrialState::kFail) == 1);
    CHECK(runner.ended_at().at(0) == doctest::Approx(10));
  }
}

TEST_CASE("policy: the study timeout starts no trial after it; running ones finish") {
  PolicyRun run("study: deadline\ntimeout: 250s\n" + kSpace, 1);
  FakeTrialRunner runner([](const TrialLaunch&) { return Finishes(0.5, 99); });
  CHECK(run.Run(runner).ok());
  // Trials take 100 s (one report step plus 99 s): started at 0, 100 and 200.
  CHECK(run.Count(TrialState::kComplete) == 3);
  CHECK(runner.ended_at().at(2) == doctest::Approx(300));
}

TEST_CASE("policy: a success resets the failures in a row") {
  PolicyRun run("study: alternate\nn_trials: 5\nmax_failures: 2\n" + kSpace, 1);
  FakeTrialRunner runner([](const TrialLaunch& l) {
    FakeTrainer t = Finishes(0.5);
    if (l.number % 2 == 0) t.ending = FakeTrainer::Ending::kNoResult;  // one failure, then a success
    return t;
  });
  CHECK(run.Run(runner).ok());
  CHECK(run.Count(TrialState::kComplete) == 5);
  CHECK(run.Count(TrialState::kFail) == 5);
  for (const auto& t : run.snapshot.trials)
    if (t.state == TrialState::kFail) CHECK(t.system_attrs["knob:fail_kind"] == "no_result");
}

}  // namespace knob

namespace knob {

TEST_CASE("policy: the first trials failing alike stop the run at once; unlike failures or max_failures go on") {
  SUBCASE("alike") {
    PolicyRun run("study: broken\nn_trials: 20\n" + kSpace, 2);
    FakeTrialRunner runner([](const TrialLaunch&) { return Exits(1); });
    Status status = run.Run(runner);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().message ==
          "the first 3 trials all failed the same way before any succeeded: exit code 1; fix the trainer and "
          "run again (or set max_failures to go on)");
    CHECK(run.snapshot.trials.size() <= 4);  // the two slots' trials when the third failed
  }
  SUBCASE("unlike") {
    PolicyRun run("study: flaky\nn_trials: 20\n" + kSpace, 1);
    FakeTrialRunner runner([](const TrialLaunch& l) { return Exits(1 + l.number % 2); });  // 1, 2, 1, 2, ...
    Status status = run.Run(runner);
    CHECK(status.error().message.rfind("stopped after 10 failed trials in a row", 0) == 0);
    CHECK(run.snapshot.trials.size() == 10);
  }
  SUBCASE("max_failures set") {
    PolicyRun run("study: tolerant\nn_trials: 20\nmax_failures: 5\n" + kSpace, 1);
    FakeTrialRunner runner([](const TrialLaunch&) { return Exits(1); });
    CHECK(run.Run(runner).error().message.rfind("stopped after 5 failed trials in a row", 0) == 0);
  }
}

}  // namespace knob
