// `knob run` end to end: the real binary, real trainer processes (the scripted
// trainer and a Python objective), a real SQLite file.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <SQLiteCpp/Database.h>

#include "launcher/run/worker_identity.h"
#include "studies/sqlite_storage.h"
#include "studies/study.h"
#include "launcher/run_test_support.h"
#include "test_support.h"

namespace knob {
namespace {

using testing::Count;
using testing::ReadStudy;
using testing::ReadFile;
using testing::RunKnob;
using testing::StartKnob;
using testing::TempDir;
using testing::Trainer;
using testing::WaitFor;
using testing::WaitUntil;
using testing::WriteFile;

}  // namespace

TEST_CASE("run: each kind of trainer failure FAILs its trial with its reason; the study reaches its budget") {
  TempDir dir;
  const std::string space =
      R"({"mode": {"type": "categorical", "choices": ["value", "stdout", "abort", "segv", "hang", "hang_hard", "nan", "novalue", "exit"]},
          "x": {"type": "float", "low": 0, "high": 1}})";
  std::string db = dir.File("f.db");
  REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "faults", "--space", space}).exit_code == 0);
  const std::vector<std::string> failing = {"abort", "segv", "hang", "hang_hard", "nan", "novalue", "exit"};
  for (const auto& mode : failing)
    REQUIRE(RunKnob({"enqueue", "--storage", db, "--study", "faults", "--params",
                     R"({"mode": ")" + mode + R"(", "x": 0.25})"}).exit_code == 0);
  WriteFile(dir.File("study.yaml"), "study: faults\nstorage: f.db\nn_trials: 5\nmax_failures: 1000\n"
            "sampler: {name: random, seed: 5}\nspace: " + space + "\n"
            "trainer:\n  command: " + Trainer("--mode, \"{mode}\"") + "\n  timeout: 0.3s\n  stop_grace: 0.2s\n"
            "resources: {gpus: none, cpu_slots: 4}\n");
  auto run = RunKnob({"run", dir.File("study.yaml")});
  INFO(run.err);
  CHECK(run.exit_code == 0);
  StudySnapshot s = ReadStudy(db, "faults");
  CHECK(Count(s, TrialState::kComplete) == 5);
  CHECK(Count(s, TrialState::kRunning) == 0);
  const std::map<std::string, std::string> reasons = {
      {"abort", "killed by signal SIGABRT"}, {"segv", "killed by signal SIGSEGV"},
      {"hang", "timed out after 0.3s"},      {"hang_hard", "timed out after 0.3s"},
      {"nan", "reported NaN"},               {"novalue", "exited without a result"},
      {"exit", "exit code 1"}};
  std::set<std::string> failed_modes;
  for (const auto& t : s.trials) {
    std::string mode = t.ParamsJson()["mode"];
    if (t.state == TrialState::kComplete) {
      CHECK((mode == "value" || mode == "stdout"));
      CHECK(*t.value == t.ParamsJson()["x"].get<double>());  // what the trainer sent
      continue;
    }
    REQUIRE(t.state == TrialState::kFail);
    failed_modes.insert(mode);
    std::string reason = t.system_attrs["knob:fail_reason"];
    INFO("trial " << t.number << " (" << mode << "): " << reason);
    CHECK(reason.rfind(reasons.at(mode), 0) == 0);
    std::string log = t.system_attrs["knob:trial_dir"].get<std::string>() + "/trainer.log";
    CHECK(reason.find("(log: " + log + ")") != std::string::npos);
    CHECK(std::filesystem::exists(log));
  }
  CHECK(failed_modes == std::set<std::string>(failing.begin(), failing.end()));
  // `knob trials` shows the reasons.
  auto listed = RunKnob({"trials", "--storage", db, "--study", "faults", "--format", "csv"});
  CHECK(listed.out.find("killed by signal SIGSEGV") != std::string::npos);
}

TEST_CASE("run: a trainer that cannot import a module: its log's last lines on the console, the run stops at once") {
  TempDir dir;
  WriteFile(dir.File("study.yaml"), "study: noimport\nstorage: n.db\nn_trials: 20\n"
            "space: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: [python3, -c, \"import knob_no_such_module\"]\n"
            "resources: {gpus: none, cpu_slots: 2}\n");
  auto run = RunKnob({"run", dir.File("study.yaml")});
  CHECK(run.exit_code == 1);
  CHECK(run.err.find("    | ModuleNotFoundError: No module named 'knob_no_such_module'") != std::string::npos);
  CHECK(run.err.find("knob: the first 3 trials all failed the same way before any succeeded: exit code 1 (its log "
                     "ends: ModuleNotFoundError: No module named 'knob_no_such_module')") != std::string::npos);
  CHECK(ReadStudy(dir.File("n.db"), "noimport").trials.size() <= 4);
}

TEST_CASE("run: SIGKILLed ten times at random moments, the same command finishes the study exactly") {
  TempDir dir;
  const std::string study = "killed-" + std::to_string(getpid());
  WriteFile(dir.File("study.yaml"), "study: " + study + "\nstorage: k.db\nn_trials: 40\n"
            "sampler: {name: tpe, seed: 2, n_startup_trials: 5}\n"
            "space: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: " + Trainer("--mode, value, --sleep-ms, \"150\"") + "\n  retries: 1\n"
            "resources: {gpus: none, cpu_slots: 2}\n");
  std::mt19937 rng(20261128);
  std::map<int, std::pair<double, nlohmann::json>> completed;  // never lost, never changed
  auto check_completed = [&](const StudySnapshot& s) {
    for (const auto& entry : completed) {
      const int number = entry.first;
      const auto& seen = entry.second;
      auto t = std::find_if(s.trials.begin(), s.trials.end(), [&](const FrozenTrial& f) { return f.number == number; });
      REQUIRE(t != s.trials.end());
      CHECK(t->state == TrialState::kComplete);
      CHECK(*t->value == seen.first);
      CHECK(t->ParamsJson() == seen.second);
    }
    for (const auto& t : s.trials)
      if (t.state == TrialState::kComplete) completed[t.number] = {*t.value, t.ParamsJson()};
  };
  int killed = 0;
  for (int kill = 0; kill < 10; ++kill) {
    int pid = testing::StartKnob({"run", dir.File("study.yaml")}, dir.path().string());
    REQUIRE(pid > 0);
    // The point of the test: a kill at an arbitrary moment of the run.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(10, 400)(rng)));
    ::kill(pid, SIGKILL);
    int code = testing::WaitFor(pid);
    CHECK((code == 128 + SIGKILL || code == 0));  // 0: it had finished the study already
    killed += code == 128 + SIGKILL;
    if (std::filesystem::exists(dir.File("k.db"))) check_completed(ReadStudy(dir.File("k.db"), study));
  }
  CHECK(killed >= 8);
  auto last = RunKnob({"run", dir.File("study.yaml")});
  INFO(last.err);
  REQUIRE(last.exit_code == 0);
  StudySnapshot s = ReadStudy(dir.File("k.db"), study);
  check_completed(s);
  CHECK(Count(s, TrialState::kComplete) + Count(s, TrialState::kPruned) == 40);
  CHECK(Count(s, TrialState::kRunning) == 0);
  std::set<int> numbers;
  for (const auto& t : s.trials) CHECK(numbers.insert(t.number).second);
  CHECK(ProcessesWithEnvironmentEntry("KNOB_STUDY=" + study).empty());
  // The trials the killed runs left RUNNING were failed by the next run, saying why.
  int orphans = 0;
  for (const auto& t : s.trials)
    if (t.state == TrialState::kFail) {
      CHECK(t.system_attrs["knob:fail_kind"] == "worker_died");
      CHECK(std::string(t.system_attrs["knob:fail_reason"]).find(") died") != std::string::npos);
      ++orphans;
    }
  CHECK(orphans > 0);
}

TEST_CASE("run: GPU slots from the environment; each trial sees only its GPU, at most trials_per_gpu per GPU") {
  TempDir dir;
  WriteFile(dir.File("study.yaml"), "study: gpus\nstorage: g.db\nn_trials: 16\n"
            "sampler: {name: random, seed: 1}\nspace: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: " + Trainer("--mode, env, --sleep-ms, \"60\"") + "\n"
            "resources: {gpus: [0, 1], trials_per_gpu: 2}\n");
  auto run = RunKnob({"run", dir.File("study.yaml")}, {"CUDA_VISIBLE_DEVICES=0,1,2"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  StudySnapshot s = ReadStudy(dir.File("g.db"), "gpus");
  REQUIRE(Count(s, TrialState::kComplete) == 16);
  std::map<std::string, std::vector<std::pair<double, int>>> events;  // per GPU: (time, +1/-1)
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const auto& t : s.trials) {
    const auto& m = t.user_attrs["metrics"];
    auto gpus = t.system_attrs["knob:slot"]["gpus"];
    REQUIRE(gpus.size() == 1);
    std::string gpu = gpus[0];
    CHECK(m["cuda"] == gpu);  // exactly its own device
    CHECK((gpu == "0" || gpu == "1"));
    CHECK(m["omp"] == std::to_string(std::max(1, cores / 4)));
    CHECK(m["cwd"] == t.system_attrs["knob:trial_dir"]);
    events[gpu].push_back({m["start"].get<double>(), +1});
    events[gpu].push_back({m["end"].get<double>(), -1});
  }
  CHECK(events.size() == 2);
  for (auto& entry : events) {
    const auto& gpu = entry.first;
    auto& list = entry.second;
    std::sort(list.begin(), list.end());  // an end before a start at the same instant
    int now = 0, most = 0;
    for (const auto& [time, delta] : list) most = std::max(most, now += delta);
    INFO("GPU " << gpu);
    CHECK(most <= 2);
  }
}

TEST_CASE("run: ASHA trains at most 40% of the steps of the same study unpruned, with as good a best") {
  TempDir dir;
  auto study_with = [&](const std::string& name, const std::string& pruner) {
    WriteFile(dir.File(name + ".yaml"), "study: " + name + "\nstorage: a.db\nn_trials: 40\n"
              "sampler: {name: random, seed: 7}\npruner: " + pruner + "\n"
              "space: {x: {type: float, low: 0, high: 1}}\n"
              "trainer:\n  command: " + Trainer("--mode, curve, --steps, \"27\"") + "\n"
              "resources: {gpus: none, cpu_slots: 2}\n");
    auto run = RunKnob({"run", dir.File(name + ".yaml")});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    StudySnapshot s = ReadStudy(dir.File("a.db"), name);
    size_t steps = 0;
    for (const auto& t : s.trials) steps += t.intermediate_values.size();
    return std::pair{steps, s.BestTrial()->value.value()};
  };
  const auto full = study_with("unpruned", "nop");
  const size_t full_steps = full.first;
  const double full_best = full.second;
  const auto asha = study_with("asha", "{name: asha, min_resource: 1, reduction_factor: 3}");
  const size_t asha_steps = asha.first;
  const double asha_best = asha.second;
  CHECK(full_steps == 40 * 27);
  INFO("ASHA steps " << asha_steps << " of " << full_steps);
  CHECK(asha_steps <= 0.4 * full_steps);
  CHECK(asha_best <= full_best);
}

TEST_CASE("run: a 40-trial study of a Python objective in 4 slots; best-trial agrees with what it printed") {
  TempDir dir;
  std::string examples = std::string(KNOB_SOURCE_DIR) + "/examples/python";
  WriteFile(dir.File("study.yaml"), "study: py\nstorage: py.db\nn_trials: 40\n"
            "sampler: {name: auto, seed: 3}\npruner: {name: median, n_startup_trials: 5}\n"
            "space:\n  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}\n"
            "  depth: {type: int, low: 1, high: 6}\n  activation: {type: categorical, choices: [relu, gelu]}\n"
            "trainer:\n  command: [/usr/bin/python3, " + examples + "/learning_curve.py]\n"
            "resources: {gpus: none, cpu_slots: 4}\n");
  auto run = RunKnob({"run", dir.File("study.yaml")});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  StudySnapshot s = ReadStudy(dir.File("py.db"), "py");
  CHECK(Count(s, TrialState::kComplete) + Count(s, TrialState::kPruned) == 40);
  CHECK(Count(s, TrialState::kFail) == 0);
  // The smallest "final" value any trial printed in its log is the best trial's.
  double printed_best = INFINITY;
  int printed_number = -1;
  for (const auto& t : s.trials) {
    std::ifstream log(t.system_attrs["knob:trial_dir"].get<std::string>() + "/trainer.log");
    std::string word;
    double value;
    while (log >> word)
      if (word == "final" && log >> value && value < printed_best) printed_best = value, printed_number = t.number;
    if (t.state == TrialState::kComplete) CHECK(t.intermediate_values.size() == 8);
  }
  auto best = RunKnob({"best-trial", "--storage", dir.File("py.db"), "--study", "py", "--format", "json"});
  REQUIRE(best.exit_code == 0);
  auto json = nlohmann::json::parse(best.out);
  CHECK(json["number"] == printed_number);
  CHECK(json["value"].get<double>() == printed_best);
  CHECK(json["trial_dir"].get<std::string>().find("trial-000") != std::string::npos);
  // The study file names storage and study for the read-only views.
  auto by_file = RunKnob({"best-trial", dir.File("study.yaml"), "--format", "json"});
  REQUIRE(by_file.exit_code == 0);
  CHECK(nlohmann::json::parse(by_file.out) == json);
  auto status = RunKnob({"status", dir.File("study.yaml"), "--format", "json"});
  REQUIRE(status.exit_code == 0);
  auto status_json = nlohmann::ordered_json::parse(status.out);  // picks in their printed order
  CHECK(status_json["counts"]["COMPLETE"].get<int>() >= 1);
  // auto picked random for the first 10 trials, then gp and tpe (one objective, a
  // plain space: gp leads first, and every 3rd ask is the other's).
  const auto& sampler = status_json["sampler"];
  CHECK(sampler["name"] == "auto");
  CHECK(sampler["picks"]["random"].get<int>() >= 10);
  CHECK(sampler["picks"]["gp"].get<int>() >= 1);
  CHECK(sampler["picks"]["random"].get<int>() + sampler["picks"]["gp"].get<int>() +
            sampler["picks"].value("tpe", 0) == 40);
  CHECK((sampler["last_pick"] == "gp" || sampler["last_pick"] == "tpe"));
  auto status_text = RunKnob({"status", dir.File("study.yaml")});
  // In the order of the first trial each pick made: with 4 slots a tpe ask can come
  // before the first gp one.
  std::string picks = "sampler: auto (last ask: " + sampler["last_pick"].get<std::string>() + "; ";
  std::string listed;
  for (const auto& [name, n] : sampler["picks"].items())
    listed += (listed.empty() ? "" : ", ") + name + " " + std::to_string(n.get<int>());
  CHECK(listed.rfind("random ", 0) == 0);  // the startup's random picks come first
  picks += listed + ")";
  CHECK(status_text.out.find(picks) != std::string::npos);
  auto trials = RunKnob({"trials", dir.File("study.yaml"), "--format", "csv"});
  CHECK(testing::LineCount(trials.out) == 41);  // a header and 40 trials
  // --set overrides any key of the file: here the budget and the sampler's seed.
  auto more = RunKnob({"run", dir.File("study.yaml"), "--set", "n_trials=42", "--set", "sampler.seed=99"});
  CHECK(more.exit_code == 0);
  CHECK(ReadStudy(dir.File("py.db"), "py").trials.size() == 42);
  auto bad_set = RunKnob({"run", dir.File("study.yaml"), "--set", "trainer.timeout=ten"});
  CHECK(bad_set.exit_code == 2);
  CHECK(bad_set.err.find("trainer.timeout: expected a duration such as 90s, 10m, 2h or 1h30m, got 'ten'") !=
        std::string::npos);
  auto neither = RunKnob({"status"});
  CHECK(neither.exit_code == 2);
  CHECK(neither.err == "knob: --storage is required (or give the study file)\n");
}

}  // namespace knob

namespace knob {

TEST_CASE("run: another worker's trial whose heartbeat stopped is failed and retried") {
  TempDir dir;
  WriteFile(dir.File("study.yaml"), "study: hb\nstorage: h.db\nn_trials: 3\n"
            "sampler: {name: random, seed: 4}\nspace: {x: {type: float, low: 0, high: 1}}\n"
            "heartbeat: {interval: 0.2s, stale_after: 1s}\n"
            "trainer:\n  command: " + Trainer("--mode, value") + "\n  retries: 1\n"
            "resources: {gpus: none, cpu_slots: 1}\n");
  REQUIRE(RunKnob({"run", dir.File("study.yaml"), "--n-trials", "1"}).exit_code == 0);
  // A trial of a worker on another machine, whose last heartbeat is an hour old.
  {
    auto storage = SqliteStorage::Open(dir.File("h.db"), StorageAccess::kWrite);
    REQUIRE(storage.ok());
    auto study = Study::Open(**storage, "hb");
    AskOptions ask;
    ask.heartbeat = true;
    ask.system_attrs = {{"knob:worker", {{"host", "elsewhere"}, {"pid", 1}}}};
    REQUIRE(study->Ask(ask).ok());
  }
  SQLite::Database db(dir.File("h.db"), SQLite::OPEN_READWRITE);
  db.exec("UPDATE trial_heartbeats SET heartbeat = datetime('now', '-1 hour')");
  auto run = RunKnob({"run", dir.File("study.yaml")});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  StudySnapshot s = ReadStudy(dir.File("h.db"), "hb");
  const FrozenTrial& orphan = s.trials[1];
  CHECK(orphan.state == TrialState::kFail);
  CHECK(orphan.system_attrs["knob:fail_reason"] == "no heartbeat for 1.0s (its worker died)");
  // Its retry ran with the same params and counts towards the budget.
  auto retry = std::find_if(s.trials.begin(), s.trials.end(), [](const FrozenTrial& t) {
    return t.system_attrs.contains("retry_history");
  });
  REQUIRE(retry != s.trials.end());
  CHECK(retry->state == TrialState::kComplete);
  CHECK(retry->ParamsJson() == orphan.ParamsJson());
  CHECK(retry->system_attrs["failed_trial"] == 1);
  CHECK(Count(s, TrialState::kComplete) == 3);
}

TEST_CASE("run: a trial asked with `knob ask` holds the budget; the run names it and ends once it is told") {
  TempDir dir;
  WriteFile(dir.File("study.yaml"), "study: held\nstorage: h.db\nn_trials: 2\nheartbeat: {interval: 0.2s}\n"
            "sampler: {name: random, seed: 4}\nspace: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: " + Trainer("--mode, value") + "\n"
            "resources: {gpus: none, cpu_slots: 1}\n");
  REQUIRE(RunKnob({"run", dir.File("study.yaml"), "--n-trials", "1"}).exit_code == 0);
  const std::string db = dir.File("h.db");
  REQUIRE(RunKnob({"ask", "--storage", db, "--study", "held"}).exit_code == 0);  // trial 1: RUNNING, no worker that could die
  int pid = StartKnob({"run", dir.File("study.yaml")}, dir.path().string());
  REQUIRE(pid > 0);
  // No new trial while trial 1 may still fill the budget: the run waits, naming it.
  CHECK(WaitUntil([&] { return ReadFile(dir.File("knob.err")).find("running elsewhere (trial 1)") != std::string::npos; }));
  INFO(ReadFile(dir.File("knob.err")));
  CHECK(ReadFile(dir.File("knob.err")).find("`knob tell`") != std::string::npos);
  REQUIRE(RunKnob({"tell", "--storage", db, "--study", "held", "--trial", "1", "--value", "0.25"}).exit_code == 0);
  CHECK(WaitFor(pid) == 0);
  std::string err = ReadFile(dir.File("knob.err"));
  CHECK(err.find("running elsewhere") == err.rfind("running elsewhere"));  // said once, not at every heartbeat
  StudySnapshot s = ReadStudy(dir.File("h.db"), "held");
  CHECK(s.trials.size() == 2);
  CHECK(Count(s, TrialState::kComplete) == 2);
}

TEST_CASE("run: status while running; Ctrl-C twice stops trials, which run again on resume") {
  TempDir dir;
  WriteFile(dir.File("study.yaml"), "study: ctrl\nstorage: c.db\nn_trials: 4\n"
            "sampler: {name: random, seed: 4}\nspace: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: " + Trainer("--mode, hang, --release, " + dir.File("release")) + "\n  stop_grace: 5s\n"
            "resources: {gpus: none, cpu_slots: 2}\n");
  int pid = testing::StartKnob({"run", dir.File("study.yaml")}, dir.path().string());
  REQUIRE(pid > 0);
  // Wait (bounded) until both slots run a trial, as `knob status` sees it.
  nlohmann::json status;
  for (int i = 0; i < 500; ++i) {
    auto out = RunKnob({"status", "--storage", dir.File("c.db"), "--study", "ctrl", "--format", "json"});
    if (out.exit_code == 0) status = nlohmann::json::parse(out.out);
    if (status.contains("running") && status["running"].size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(status["running"].size() == 2);
  CHECK(status["counts"]["RUNNING"] == 2);
  CHECK(status["n_trials"] == 4);
  CHECK(status["workers"].size() == 1);
  CHECK(status["workers"][0]["slots"] == 2);
  CHECK(status["workers"][0]["busy"] == 2);
  CHECK(status["workers"][0]["last_heartbeat_s"].get<double>() < 60);
  CHECK(status["running"][0]["slot"] == "cpu 0");
  ::kill(pid, SIGINT);  // no new trials; the hanging ones would run on
  // Signals of one kind do not queue: send the second once knob took the first.
  std::string said;
  for (int i = 0; i < 500 && said.find("stopping: no new trials") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream err(dir.File("knob.err"));
    said.assign(std::istreambuf_iterator<char>(err), {});
  }
  REQUIRE(said.find("stopping: no new trials") != std::string::npos);
  ::kill(pid, SIGINT);  // stop them
  CHECK(testing::WaitFor(pid) == 130);
  StudySnapshot s = ReadStudy(dir.File("c.db"), "ctrl");
  CHECK(Count(s, TrialState::kRunning) == 0);
  CHECK(Count(s, TrialState::kFail) == 2);
  CHECK(Count(s, TrialState::kWaiting) == 2);  // interrupted trials always run again
  for (const auto& t : s.trials)
    if (t.state == TrialState::kFail)
      CHECK(t.system_attrs["knob:fail_kind"] == "interrupted");
  CHECK(ProcessesWithEnvironmentEntry("KNOB_TRIAL_DIR=" + s.trials[0].system_attrs["knob:trial_dir"].get<std::string>()).empty());
  // Resume from the stored study file; the trainers now finish.
  WriteFile(dir.File("release"), "");
  auto resumed = RunKnob({"resume", "--storage", dir.File("c.db"), "--study", "ctrl"});
  INFO(resumed.err);
  CHECK(resumed.exit_code == 0);
  StudySnapshot after = ReadStudy(dir.File("c.db"), "ctrl");
  CHECK(Count(after, TrialState::kComplete) == 4);
  for (const auto& t : after.trials)
    if (t.system_attrs.contains("failed_trial"))
      CHECK(t.ParamsJson() == after.trials[t.system_attrs["failed_trial"].get<int>()].ParamsJson());
}

}  // namespace knob

namespace knob {

TEST_CASE("run: the HF TrainerCallback reports evaluations, stops when pruned, sends its best value") {
  TempDir dir;
  WriteFile(dir.File("study.yaml"), "study: hf\nstorage: hf.db\ndirection: maximize\nn_trials: 12\n"
            "sampler: {name: random, seed: 2}\npruner: {name: median, n_startup_trials: 3}\n"
            "space: {learning_rate: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}}\n"
            "trainer:\n  command: [/usr/bin/python3, " + std::string(KNOB_SOURCE_DIR) +
            "/tests/tools/hf_trainer_simulation.py]\n"
            "resources: {gpus: none, cpu_slots: 2}\n");
  auto run = RunKnob({"run", dir.File("study.yaml")});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  StudySnapshot s = ReadStudy(dir.File("hf.db"), "hf");
  CHECK(Count(s, TrialState::kComplete) + Count(s, TrialState::kPruned) == 12);
  CHECK(Count(s, TrialState::kPruned) > 0);
  for (const auto& t : s.trials) {
    REQUIRE_FALSE(t.intermediate_values.empty());
    CHECK(t.intermediate_values.begin()->first == 100);  // steps are global steps
    std::ifstream log(t.system_attrs["knob:trial_dir"].get<std::string>() + "/trainer.log");
    std::string text(std::istreambuf_iterator<char>(log), {});
    if (t.state == TrialState::kPruned) {
      CHECK(text.find("stopped by knob") != std::string::npos);
    } else {
      CHECK(t.intermediate_values.size() == 6);
      double best = -INFINITY;
      for (const auto& [step, v] : t.intermediate_values) best = std::max(best, v);
      CHECK(*t.value == best);  // the best evaluation is the result
      CHECK(t.user_attrs["metrics"]["global_step"] == 600);
    }
  }
}

}  // namespace knob

namespace knob {

TEST_CASE("run: a study timeout stops new trials; running ones finish and are recorded") {
  TempDir dir;
  WriteFile(dir.File("study.yaml"), "study: timed\nstorage: t.db\ntimeout: 0.5s\n"
            "sampler: {name: random, seed: 1}\nspace: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: " + Trainer("--mode, value, --sleep-ms, \"200\"") + "\n"
            "resources: {gpus: none, cpu_slots: 2}\n");
  auto run = RunKnob({"run", dir.File("study.yaml")});
  INFO(run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.err.find("study timeout reached") != std::string::npos);
  StudySnapshot s = ReadStudy(dir.File("t.db"), "timed");
  CHECK(Count(s, TrialState::kRunning) == 0);
  CHECK(Count(s, TrialState::kComplete) == static_cast<int>(s.trials.size()));
  CHECK(s.trials.size() >= 2);  // two slots, each at least one 0.2 s trial before 0.5 s
  CHECK(s.trials.size() <= 8);  // and at most what fits in 0.5 s plus the last round
}

}  // namespace knob
