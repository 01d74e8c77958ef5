// `knob run` with several processes per trial (trainer.processes), end to end:
// the real binary, the scripted trainer as every rank, a real SQLite file.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "launcher/run_test_support.h"
#include "test_support.h"

namespace knob {
namespace {

using testing::Count;
using testing::ReadFile;
using testing::ReadStudy;
using testing::RunKnob;
using testing::TempDir;
using testing::Trainer;
using testing::WriteFile;

std::string StudyYaml(const std::string& name, int n_trials, const std::string& trainer_args,
                      const std::string& more_trainer = "", const std::string& more = "") {
  return "study: " + name + "\nstorage: d.db\nn_trials: " + std::to_string(n_trials) +
         (more.find("max_failures") == std::string::npos ? "\nmax_failures: 100" : "") +
         "\nsampler: {name: random, seed: 3}\nspace: {x: {type: float, low: 0, high: 1}}\n" + more +
         "trainer:\n  command: " + Trainer(trainer_args) + "\n  processes: 2\n" +
         (more_trainer.find("stop_grace") == std::string::npos ? "  stop_grace: 0.3s\n" : "") + more_trainer +
         "resources: {gpus: none, cpu_slots: 2}\n";
}

}  // namespace

TEST_CASE("run: a trial of 2 processes is one trial: its ranks, a port no overlapping trial holds, rank 0's result") {
  TempDir dir;
  WriteFile(dir.File("s.yaml"), StudyYaml("ranks", 10, "--mode, env, --sleep-ms, \"50\""));
  auto run = RunKnob({"run", dir.File("s.yaml")});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  StudySnapshot s = ReadStudy(dir.File("d.db"), "ranks");
  REQUIRE(Count(s, TrialState::kComplete) == 10);
  CHECK(s.trials.size() == 10);  // one trial each, not one per process
  struct Span {
    double start, end;
    std::string port;
  };
  std::vector<Span> spans;
  for (const auto& t : s.trials) {
    const auto& m = t.user_attrs["metrics"];
    CHECK(m["rank"] == "0");  // rank 0 speaks for the trial
    CHECK(m["local_rank"] == "0");
    CHECK(m["world_size"] == "2");
    CHECK(m["omp"] == "1");  // 2 slots x 2 processes on this machine's cores, at least one each
    std::string master = m["master"];
    REQUIRE(master.rfind("127.0.0.1:", 0) == 0);
    CHECK(std::stoi(master.substr(10)) > 0);
    CHECK(t.system_attrs["knob:slot"]["processes"] == 2);
    // Every rank ran: rank 1 wrote its log beside rank 0's.
    CHECK(std::filesystem::exists(t.system_attrs["knob:trial_dir"].get<std::string>() + "/trainer.rank1.log"));
    spans.push_back({m["start"].get<double>(), m["end"].get<double>(), master});
  }
  int overlapping = 0;
  for (size_t i = 0; i < spans.size(); ++i)
    for (size_t j = i + 1; j < spans.size(); ++j)
      if (spans[i].start < spans[j].end && spans[j].start < spans[i].end) {
        ++overlapping;
        CHECK(spans[i].port != spans[j].port);
      }
  CHECK(overlapping > 0);  // two slots did run at once
}

TEST_CASE("run: processes per_gpu: a rank per GPU of the slot, every rank seeing the slot's GPUs") {
  TempDir dir;
  WriteFile(dir.File("s.yaml"), "study: pergpu\nstorage: d.db\nn_trials: 6\nsampler: {name: random, seed: 3}\n"
            "space: {x: {type: float, low: 0, high: 1}}\n"
            "trainer:\n  command: " + Trainer("--mode, env") + "\n  processes: per_gpu\n"
            "resources: {gpus: all, gpus_per_trial: 2}\n");
  auto run = RunKnob({"run", dir.File("s.yaml")}, {"CUDA_VISIBLE_DEVICES=0,1,2,3"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  StudySnapshot s = ReadStudy(dir.File("d.db"), "pergpu");
  REQUIRE(Count(s, TrialState::kComplete) == 6);
  std::set<std::string> seen;
  for (const auto& t : s.trials) {
    const auto& m = t.user_attrs["metrics"];
    CHECK(m["world_size"] == "2");
    seen.insert(m["cuda"].get<std::string>());
    CHECK(t.system_attrs["knob:slot"]["processes"] == 2);
  }
  CHECK(seen == std::set<std::string>{"0,1", "2,3"});
}

TEST_CASE("run: one rank's crash ends its trial with that rank's reason; a rank that ignores SIGTERM is killed") {
  TempDir dir;
  // Rank 1 crashes at once; rank 0 would hang for ever and ignores SIGTERM.
  WriteFile(dir.File("s.yaml"), StudyYaml("crash", 1, "--mode, hang_hard, --rank-mode, \"1:segv\"", "",
                                          "max_failures: 2\n"));
  auto run = RunKnob({"run", dir.File("s.yaml")});
  INFO(run.err);
  StudySnapshot s = ReadStudy(dir.File("d.db"), "crash");
  REQUIRE(s.trials.size() >= 2);
  for (const auto& t : s.trials) {
    REQUIRE(t.state == TrialState::kFail);
    std::string reason = t.system_attrs["knob:fail_reason"];
    INFO(reason);
    CHECK(reason.rfind("rank 1: killed by signal SIGSEGV", 0) == 0);
    CHECK(reason.find("/trainer.rank1.log)") != std::string::npos);
    CHECK(t.system_attrs["knob:fail_kind"] == "signal");
    // Ended within the grace (0.3 s, then SIGKILL), not by a timeout: there is none.
    auto seconds = SecondsBetween(t.datetime_start, t.datetime_complete);
    REQUIRE(seconds);
    CHECK(*seconds < 3.0);
  }
  CHECK(run.err.find("(rank 1): failed; stopping the trial's other processes") != std::string::npos);
}

TEST_CASE("run: every rank of a trial gets rank 0's prune decisions, whichever reports first") {
  TempDir dir;
  // Rank 0 starts later, so rank 1's reports often wait for rank 0's decision.
  WriteFile(dir.File("s.yaml"), StudyYaml("prune", 12, "--mode, curve, --steps, \"8\", --rank-sleep-ms, \"0:30\"", "",
                                          "pruner: {name: median, n_startup_trials: 2, n_warmup_steps: 1}\n"));
  auto run = RunKnob({"run", dir.File("s.yaml")});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  StudySnapshot s = ReadStudy(dir.File("d.db"), "prune");
  CHECK(Count(s, TrialState::kComplete) + Count(s, TrialState::kPruned) == 12);
  CHECK(Count(s, TrialState::kPruned) > 0);
  CHECK(Count(s, TrialState::kFail) == 0);
  for (const auto& t : s.trials) {
    std::string folder = t.system_attrs["knob:trial_dir"];
    std::string rank0 = ReadFile(folder + "/curve.rank0.txt"), rank1 = ReadFile(folder + "/curve.rank1.txt");
    INFO("trial " << t.number << "\nrank 0:\n" << rank0 << "rank 1:\n" << rank1);
    CHECK(!rank0.empty());
    CHECK(rank0 == rank1);
    CHECK((rank0.find("prune") != std::string::npos) == (t.state == TrialState::kPruned));
  }
}

TEST_CASE("run: a rank reporting steps rank 0 never reports is told to go on once rank 0 has its result") {
  TempDir dir;
  // Rank 0 sends its result at once; rank 1 reports 8 steps, each of which would
  // wait for a decision of rank 0 for ever.
  WriteFile(dir.File("s.yaml"), StudyYaml("release", 3, "--mode, value, --rank-mode, \"1:curve\", --steps, \"8\"",
                                          "  timeout: 60s\n  stop_grace: 30s\n"));
  auto run = RunKnob({"run", dir.File("s.yaml")});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  StudySnapshot s = ReadStudy(dir.File("d.db"), "release");
  REQUIRE(Count(s, TrialState::kComplete) == 3);
  for (const auto& t : s.trials) {
    CHECK(*t.value == t.ParamsJson()["x"].get<double>());  // rank 0's result, not rank 1's curve
    CHECK(t.intermediate_values.empty());                  // rank 1's reports are not the trial's
    std::string curve = ReadFile(t.system_attrs["knob:trial_dir"].get<std::string>() + "/curve.rank1.txt");
    CHECK(testing::LineCount(curve) == 8);
    CHECK(curve.find("prune") == std::string::npos);
    auto seconds = SecondsBetween(t.datetime_start, t.datetime_complete);
    REQUIRE(seconds);
    CHECK(*seconds < 10.0);  // rank 1 was not left waiting until stopped (30 s grace)
  }
}

TEST_CASE("run: status shows a running trial of 2 processes as one trial on its slot") {
  TempDir dir;
  WriteFile(dir.File("s.yaml"), StudyYaml("status", 2, "--mode, hang, --release, " + dir.File("release")));
  int pid = testing::StartKnob({"run", dir.File("s.yaml")}, dir.path().string());
  REQUIRE(pid > 0);
  nlohmann::json status;
  for (int i = 0; i < 500; ++i) {  // bounded: until both slots run a trial
    auto out = RunKnob({"status", "--storage", dir.File("d.db"), "--study", "status", "--format", "json"});
    if (out.exit_code == 0) status = nlohmann::json::parse(out.out);
    if (status.contains("running") && status["running"].size() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(status["running"].size() == 2);
  CHECK(status["counts"]["RUNNING"] == 2);  // two trials, four processes
  std::set<std::string> slots;
  for (const auto& r : status["running"]) slots.insert(r["slot"].get<std::string>());
  CHECK(slots == std::set<std::string>{"cpu 0 x2 processes", "cpu 1 x2 processes"});
  auto table = RunKnob({"status", "--storage", dir.File("d.db"), "--study", "status"});
  CHECK(table.out.find("cpu 0 x2 processes") != std::string::npos);
  WriteFile(dir.File("release"), "");
  CHECK(testing::WaitFor(pid) == 0);
  CHECK(Count(ReadStudy(dir.File("d.db"), "status"), TrialState::kComplete) == 2);
  CHECK(ReadFile(dir.File("knob.err")).find("[cpu 0 x2 processes]") != std::string::npos);  // a finished trial's line
}

}  // namespace knob
