// knob-train end to end (when LibTorch was found): a short real training run on
// Fashion-MNIST writes its metrics and TensorBoard file, bad configs exit 2 with
// one line and leave no output folder, and a `knob run` study tunes it.
#include <doctest/doctest.h>

#ifdef KNOB_TRAIN_BINARY

#include <fstream>

#include "studies/sqlite_storage.h"
#include "test_support.h"

namespace knob {
namespace {

const char* kQuick = R"({"learning_rate": 0.002, "max_steps": 150, "per_device_train_batch_size": 64,
  "per_device_eval_batch_size": 1000, "eval_strategy": "steps", "eval_steps": 50, "logging_steps": 25,
  "metric_for_best_model": "accuracy", "max_eval_samples": 2000,
  "model": {"type": "mlp", "hidden": [128]}, "dataset": {"name": "fashion-mnist"}})";

}  // namespace

TEST_CASE("knob-train: a short run on Fashion-MNIST learns and writes metrics and TensorBoard scalars") {
  testing::TempDir dir;
  std::ofstream(dir.File("quick.json")) << kQuick;
  auto run = testing::RunProcess({KNOB_TRAIN_BINARY, "--config", dir.File("quick.json"), "--set",
                                  "output_dir=" + dir.File("out")},
                                 {"OMP_NUM_THREADS=2"});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  std::ifstream in(dir.File("out/metrics.json"));
  nlohmann::json metrics = nlohmann::json::parse(in);
  CHECK(metrics["global_step"] == 150);
  CHECK(metrics["eval_accuracy"].get<double>() > 0.7);  // 10 classes: chance is 0.1
  CHECK(metrics["test_accuracy"].get<double>() > 0.7);
  // Outside knob the result goes to stdout in the form knob reads.
  CHECK(run.out.find("{\"knob_result\": ") != std::string::npos);
  int event_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.File("out/runs")))
    event_files += entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0;
  CHECK(event_files == 1);
}

TEST_CASE("knob-train: bad configs are one line, exit 2, and leave no output folder") {
  testing::TempDir dir;
  std::ofstream(dir.File("quick.json")) << kQuick;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"learnin_rate=0.1", "unknown key 'learnin_rate'"},
      {"per_device_train_batch_size=0", "per_device_train_batch_size: expected an integer >= 1, got 0"},
      {"dataset.path=/nonexistent", "dataset folder '/nonexistent' does not exist"},
      {"model.hidden=[0]", "model.hidden: widths are integers >= 1, got 0"},
      {"model.kind=cnn", "unknown key 'model.kind'"},
  };
  for (const auto& [set, message] : cases) {
    auto run = testing::RunProcess({KNOB_TRAIN_BINARY, "--config", dir.File("quick.json"), "--set", set,
                                    "--set", "output_dir=" + dir.File("out")});
    CHECK(run.exit_code == 2);
    CHECK(run.err == "knob-train: " + message + "\n");
    CHECK_FALSE(std::filesystem::exists(dir.File("out")));
  }
}

TEST_CASE("knob-train under knob run: evaluations are reported, the best trial is its best accuracy") {
  testing::TempDir dir;
  std::ofstream(dir.File("quick.json")) << kQuick;
  std::ofstream(dir.File("study.yaml"))
      << "study: kt\nstorage: kt.db\ndirection: maximize\nmetric: eval_accuracy\nn_trials: 3\n"
      << "sampler: {name: random, seed: 3}\npruner: nop\n"
      << "space: {lr: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}}\n"
      << "trainer:\n  command: [" << KNOB_TRAIN_BINARY << ", --config, quick.json, --set, \"learning_rate={lr}\","
      << " --set, \"output_dir={trial_dir}/out\"]\n"
      << "resources: {gpus: none, cpu_slots: 2}\n";
  auto run = testing::RunKnob({"run", dir.File("study.yaml")});
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto storage = SqliteStorage::Open(dir.File("kt.db"), StorageAccess::kRead);
  auto snapshot = (*storage)->ReadStudy((*storage)->FindStudy("kt")->study_id);
  REQUIRE(snapshot->trials.size() == 3);
  for (const auto& t : snapshot->trials) {
    CHECK(t.state == TrialState::kComplete);
    CHECK(t.intermediate_values.size() == 3);  // evaluations at steps 50, 100, 150
    CHECK(t.intermediate_values.count(150) == 1);
    CHECK(*t.value == t.user_attrs["metrics"]["eval_accuracy"].get<double>());
  }
}

}  // namespace knob

#endif  // KNOB_TRAIN_BINARY
