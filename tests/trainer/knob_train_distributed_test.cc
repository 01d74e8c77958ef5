// knob-train data parallel on the CPU (Gloo), end to end: real processes as
// torchrun (or knob run with trainer.processes) starts them, real Fashion-MNIST.
// 2 ranks x batch 32 take the steps of 1 rank x batch 64; a 2-rank run killed
// with SIGKILL resumes exactly; a checkpoint resumes only with its world size;
// under knob run a 2-process trial is one trial.
#include <doctest/doctest.h>

#ifdef KNOB_TRAIN_BINARY


#include <csignal>
#include <fstream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "launcher/run_test_support.h"
#include "free_port.h"
#include "test_support.h"

namespace knob {
namespace {

// No dropout, no augmentation, no batch norm: then the two layouts compute the
// same thing up to the order of float sums. 1000 examples: the last micro-batch
// of an epoch has 40, split 32 + 8 over two ranks.
const char* kSame = R"({"learning_rate": 0.002, "max_steps": 30, "per_device_train_batch_size": 64,
  "per_device_eval_batch_size": 100, "eval_strategy": "steps", "eval_steps": 10, "logging_steps": 1,
  "save_strategy": "no", "metric_for_best_model": "accuracy", "max_train_samples": 1000, "max_eval_samples": 500,
  "model": {"type": "mlp", "hidden": [64], "dropout": 0.0}, "dataset": {"name": "fashion-mnist"}})";

// Dropout and augmentation on: each rank draws its own, from (seed, step, rank).
const char* kResumable = R"({"learning_rate": 0.002, "max_steps": 300, "per_device_train_batch_size": 16,
  "per_device_eval_batch_size": 250, "eval_strategy": "steps", "eval_steps": 50, "logging_steps": 10,
  "save_strategy": "steps", "save_steps": 100, "save_total_limit": 2, "load_best_model_at_end": true,
  "metric_for_best_model": "loss", "max_train_samples": 1000, "max_eval_samples": 500,
  "model": {"type": "mlp", "hidden": [64], "dropout": 0.2},
  "dataset": {"name": "fashion-mnist", "augment": {"horizontal_flip": true, "max_shift": 1}}})";

std::vector<std::string> RankEnv(int rank, int world, int port) {
  return {"OMP_NUM_THREADS=1",
          "OPENBLAS_NUM_THREADS=1",
          "RANK=" + std::to_string(rank),
          "LOCAL_RANK=" + std::to_string(rank),
          "WORLD_SIZE=" + std::to_string(world),
          "MASTER_ADDR=127.0.0.1",
          "MASTER_PORT=" + std::to_string(port)};
}

std::vector<std::string> Train(const testing::TempDir& dir, const std::string& config, const std::string& out,
                               std::vector<std::string> sets = {}) {
  std::vector<std::string> argv = {KNOB_TRAIN_BINARY, "--config", dir.File(config), "--set",
                                   "output_dir=" + dir.File(out)};
  for (auto& s : sets) argv.insert(argv.end(), {"--set", s});
  return argv;
}

// Runs `argv` as ranks 0 and 1 of one world; their results, by rank.
std::vector<testing::ProcessResult> RunTwoRanks(const std::vector<std::string>& argv) {
  const int port = testing::FreePort();
  std::vector<testing::ProcessResult> results(2);
  std::thread other([&] { results[1] = testing::RunProcess(argv, RankEnv(1, 2, port)); });
  results[0] = testing::RunProcess(argv, RankEnv(0, 2, port));
  other.join();
  return results;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}

// step -> training loss, from a run's log.jsonl.
std::map<int, double> StepLosses(const std::string& log_path) {
  std::map<int, double> losses;
  std::ifstream in(log_path);
  for (std::string line; std::getline(in, line);) {
    auto entry = nlohmann::json::parse(line, nullptr, false);
    if (entry.is_object() && entry.contains("loss")) losses[entry["step"].get<int>()] = entry["loss"].get<double>();
  }
  return losses;
}

}  // namespace

TEST_CASE("knob-train data parallel: 2 ranks x batch 32 take the steps of 1 rank x batch 64, same final metrics") {
  testing::TempDir dir;
  std::ofstream(dir.File("c.json")) << kSame;
  auto one = testing::RunProcess(Train(dir, "c.json", "one"), {"OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1"});
  INFO(one.err);
  REQUIRE(one.exit_code == 0);
  auto two = RunTwoRanks(Train(dir, "c.json", "two", {"per_device_train_batch_size=32"}));
  INFO(two[0].err << two[1].err);
  REQUIRE(two[0].exit_code == 0);
  REQUIRE(two[1].exit_code == 0);
  CHECK(two[1].out.empty());  // rank 0 alone logs
  std::map<int, double> a = StepLosses(dir.File("one/log.jsonl")), b = StepLosses(dir.File("two/log.jsonl"));
  REQUIRE(a.size() == 30);
  REQUIRE(b.size() == 30);
  double worst = 0;
  for (const auto& [step, loss] : a) worst = std::max(worst, std::abs(loss - b[step]) / std::abs(loss));
  INFO("largest relative difference of a step's loss, 2 x 32 against 1 x 64: " << worst);
  CHECK(worst < 1e-5);  // float sums in another order, over 30 Adam steps (measured: about 1e-7)
  nlohmann::json ma = ReadJson(dir.File("one/metrics.json")), mb = ReadJson(dir.File("two/metrics.json"));
  CHECK(mb["world_size"] == 2);
  CHECK(ma["global_step"] == mb["global_step"]);
  CHECK(ma["epoch"].get<double>() == doctest::Approx(mb["epoch"].get<double>()));
  for (const char* key : {"eval_loss", "test_loss"}) {
    INFO(key);
    CHECK(ma[key].get<double>() == doctest::Approx(mb[key].get<double>()).epsilon(1e-4));
  }
  for (const char* key : {"eval_accuracy", "test_accuracy"}) {
    INFO(key);  // at most one of the 500 examples on the other side of a decision boundary
    CHECK(std::abs(ma[key].get<double>() - mb[key].get<double>()) <= 1.0 / 500 + 1e-12);
  }
  // Only rank 0 wrote the output folder's files, once each.
  CHECK(StepLosses(dir.File("two/log.jsonl")).size() == 30);
}

TEST_CASE("knob-train data parallel: a rank SIGKILLed at a random step ends the other; resumed, the run is exact; "
          "only with 2 ranks") {
  testing::TempDir dir;
  std::ofstream(dir.File("r.json")) << kResumable;
  auto whole = RunTwoRanks(Train(dir, "r.json", "whole"));
  INFO(whole[0].err << whole[1].err);
  REQUIRE(whole[0].exit_code == 0);
  REQUIRE(whole[1].exit_code == 0);
  std::mt19937 rng(std::random_device{}());
  const int kill_after = std::uniform_int_distribution<int>(110, 270)(rng);  // past the first checkpoint (100)
  INFO("killed after step " << kill_after);
  {
    const int port = testing::FreePort();
    auto argv = Train(dir, "r.json", "cut");
    testing::PipedProcess rank0(argv, RankEnv(0, 2, port)), rank1(argv, RankEnv(1, 2, port));
    while (auto line = rank0.ReadLine()) {
      auto entry = nlohmann::json::parse(*line, nullptr, false);
      if (entry.is_object() && entry.value("step", -1) >= kill_after) break;
    }
    rank1.Signal(SIGKILL);
    CHECK(rank1.Wait() == 128 + SIGKILL);
    // Rank 0 finds its peer gone at its next collective: one line, exit 1.
    while (rank0.ReadLine()) {
    }
    CHECK(rank0.Wait() == 1);
  }
  CHECK_FALSE(std::filesystem::exists(dir.File("cut/metrics.json")));
  // With one process the checkpoint is refused, and nothing is written.
  auto alone = testing::RunProcess(Train(dir, "r.json", "cut", {"resume_from_checkpoint=true"}),
                                   {"OMP_NUM_THREADS=1"});
  CHECK(alone.exit_code == 2);
  CHECK(alone.err.find("was written by 2 data-parallel process(es) (WORLD_SIZE 2), this run has 1; "
                       "resume it with WORLD_SIZE 2") != std::string::npos);
  auto resumed = RunTwoRanks(Train(dir, "r.json", "cut", {"resume_from_checkpoint=true"}));
  INFO(resumed[0].err << resumed[1].err);
  REQUIRE(resumed[0].exit_code == 0);
  REQUIRE(resumed[1].exit_code == 0);
  CHECK(resumed[0].out.find("resumed from " + dir.File("cut/checkpoint-")) != std::string::npos);
  nlohmann::json a = ReadJson(dir.File("whole/metrics.json")), b = ReadJson(dir.File("cut/metrics.json"));
  for (const char* key : {"eval_loss", "eval_accuracy", "eval_f1", "test_loss", "test_accuracy", "best_metric"}) {
    INFO(key);
    CHECK(a[key].get<double>() == doctest::Approx(b[key].get<double>()).epsilon(1e-6));
  }
  CHECK(a["global_step"] == b["global_step"]);
}

TEST_CASE("knob-train data parallel under knob run: 2 processes a trial, one trial each, rank 0's metrics") {
  testing::TempDir dir;
  std::ofstream(dir.File("c.json")) << kSame;
  testing::WriteFile(dir.File("s.yaml"),
                     "study: dp\nstorage: dp.db\ndirection: maximize\nmetric: eval_accuracy\nn_trials: 2\n"
                     "sampler: {name: random, seed: 2}\n"
                     "space: {lr: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}}\n"
                     "trainer:\n  command: [" KNOB_TRAIN_BINARY ", --config, " + dir.File("c.json") +
                         ", --set, 'learning_rate={lr}', --set, 'output_dir={trial_dir}/out', "
                         "--set, per_device_train_batch_size=32]\n"
                         "  processes: 2\n"
                         "resources: {gpus: none, cpu_slots: 1}\n");
  auto run = testing::RunKnob({"run", dir.File("s.yaml")});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  StudySnapshot s = testing::ReadStudy(dir.File("dp.db"), "dp");
  REQUIRE(s.trials.size() == 2);
  for (const auto& t : s.trials) {
    CHECK(t.state == TrialState::kComplete);
    const auto& m = t.user_attrs["metrics"];
    CHECK(m["world_size"] == 2);
    CHECK(m["global_step"] == 30);
    CHECK(*t.value == m["eval_accuracy"].get<double>());
  }
}

}  // namespace knob

#endif  // KNOB_TRAIN_BINARY
