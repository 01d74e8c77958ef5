// knob-train end to end (when LibTorch was found): a short real training run on
// Fashion-MNIST writes its metrics and TensorBoard file; a run killed at a random
// step and resumed ends as an uninterrupted one; SIGTERM saves a checkpoint;
// save_total_limit keeps the best; CNNs, CSV tables and bf16 train; bad configs
// exit 2 with one line and leave no output folder; a `knob run` study tunes it.
#include <doctest/doctest.h>

#ifdef KNOB_TRAIN_BINARY

#include <csignal>
#include <fstream>
#include <random>

#include <map>
#include <set>

#include "studies/sqlite_storage.h"
#include "launcher/run_test_support.h"
#include "test_support.h"
#include "trainer/event_file_reader.h"

namespace knob {
namespace {

const char* kQuick = R"({"learning_rate": 0.002, "max_steps": 150, "per_device_train_batch_size": 64,
  "per_device_eval_batch_size": 1000, "eval_strategy": "steps", "eval_steps": 50, "logging_steps": 25,
  "metric_for_best_model": "accuracy", "max_eval_samples": 2000,
  "model": {"type": "mlp", "hidden": [128]}, "dataset": {"name": "fashion-mnist"}})";

// Small and deterministic (one thread): dropout, shuffling and augmentation all
// draw from the seed, so two runs give the same numbers.
const char* kResumable = R"({"learning_rate": 0.002, "max_steps": 90, "per_device_train_batch_size": 32,
  "per_device_eval_batch_size": 500, "eval_strategy": "steps", "eval_steps": 30, "logging_steps": 10,
  "save_strategy": "steps", "save_steps": 30, "save_total_limit": 1, "load_best_model_at_end": true,
  "metric_for_best_model": "loss", "max_train_samples": 1000, "max_eval_samples": 500, "weight_decay": 0.01,
  "model": {"type": "mlp", "hidden": [64], "dropout": 0.2},
  "dataset": {"name": "fashion-mnist", "augment": {"horizontal_flip": true, "max_shift": 1}}})";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

std::vector<std::string> TrainArgs(const testing::TempDir& dir, const std::string& config, const std::string& out,
                                   std::vector<std::string> sets = {}) {
  std::vector<std::string> argv = {KNOB_TRAIN_BINARY, "--config", dir.File(config), "--set", "output_dir=" + dir.File(out)};
  for (auto& s : sets) argv.insert(argv.end(), {"--set", s});
  return argv;
}

int StepOfLogLine(const std::string& line) {
  auto json = nlohmann::json::parse(line, nullptr, false);
  return json.is_object() && json.contains("step") ? json["step"].get<int>() : -1;
}

void CheckSameMetrics(const nlohmann::json& a, const nlohmann::json& b) {
  for (const char* key : {"eval_loss", "eval_accuracy", "eval_f1", "test_loss", "test_accuracy", "best_metric"}) {
    INFO(key);
    CHECK(a[key].get<double>() == doctest::Approx(b[key].get<double>()).epsilon(1e-6));
  }
  CHECK(a["global_step"] == b["global_step"]);
}

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
  std::vector<std::string> event_files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.File("out/runs")))
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0) event_files.push_back(entry.path());
  REQUIRE(event_files.size() == 1);
  // Every number of every JSON log line is in the event file under HF's tag, as a float.
  std::map<std::pair<std::string, int64_t>, float> scalars;
  for (const auto& e : testing::ReadEventFile(event_files[0]))
    if (!e.tag.empty()) scalars[{e.tag, e.step}] = e.value;  // not the header
  std::ifstream log(dir.File("out/log.jsonl"));
  int lines = 0;
  std::set<std::pair<std::string, int64_t>> checked;
  for (std::string line; std::getline(log, line); ++lines) {
    auto entry = nlohmann::json::parse(line);
    for (const auto& [key, value] : entry.items()) {
      if (key == "step") continue;
      std::string tag = key.rfind("eval_", 0) == 0 ? "eval/" + key.substr(5) : "train/" + key;
      INFO(tag << " at step " << entry["step"]);
      auto found = scalars.find({tag, entry["step"].get<int64_t>()});
      REQUIRE(found != scalars.end());
      CHECK(found->second == value.get<float>());
      checked.insert(found->first);
    }
  }
  CHECK(lines == 6 + 3);  // a loss every 25 steps, an evaluation every 50
  CHECK(checked.size() == scalars.size());  // and nothing else is
  CHECK(scalars.count({"train/loss", 25}) == 1);
  CHECK(scalars.count({"eval/f1", 150}) == 1);
}

TEST_CASE("knob-train: bad configs are one line, exit 2, and leave no output folder") {
  testing::TempDir dir;
  std::ofstream(dir.File("quick.json")) << kQuick;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"learnin_rate=0.1", "unknown key 'learnin_rate'"},
      {"per_device_train_batch_size=0", "per_device_train_batch_size: expected an integer >= 1, got 0"},
      {"dataset.path=/nonexistent", "dataset folder '/nonexistent' does not exist"},
      {"model.hidden=[0]", "model.hidden: expected a list of integers >= 1, got [0]"},
      {"model.kind=cnn", "unknown key 'model.kind'"},
      {"model.channels=[8]", "model.channels: only for type cnn"},
      {"metric_for_best_model=precision",
       "metric_for_best_model: 'precision' is not a metric knob-train computes (loss, accuracy, f1)"},
      {"fp16=true", "fp16: needs a CUDA device (bf16 runs on the CPU)"},
      {"dataset.augment={\"flip\":true}", "unknown key 'dataset.augment.flip'"},
      {"dataset.name=csv", "dataset.train_file: a csv dataset needs its training table"},
      {"resume_from_checkpoint=true", "resume_from_checkpoint: no checkpoint in '" + dir.File("out") + "'"},
  };
  for (const auto& [set, message] : cases) {
    auto run = testing::RunProcess({KNOB_TRAIN_BINARY, "--config", dir.File("quick.json"), "--set", set,
                                    "--set", "output_dir=" + dir.File("out")});
    CHECK(run.exit_code == 2);
    CHECK(run.err == "knob-train: " + message + "\n");
    CHECK_FALSE(std::filesystem::exists(dir.File("out")));
  }
}

TEST_CASE("knob-train: killed with SIGKILL at a random step and resumed, it ends as an uninterrupted run") {
  testing::TempDir dir;
  std::ofstream(dir.File("r.json")) << kResumable;
  const std::vector<std::string> one_thread = {"OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1"};
  auto whole = testing::RunProcess(TrainArgs(dir, "r.json", "whole"), one_thread);
  INFO(whole.err);
  REQUIRE(whole.exit_code == 0);
  std::mt19937 rng(std::random_device{}());
  const int kill_after = std::uniform_int_distribution<int>(35, 85)(rng);
  INFO("killed after step " << kill_after);
  {
    testing::PipedProcess run(TrainArgs(dir, "r.json", "cut"), one_thread);
    while (auto line = run.ReadLine())
      if (StepOfLogLine(*line) >= kill_after) break;
    run.Signal(SIGKILL);
    CHECK(run.Wait() == 128 + SIGKILL);
  }
  CHECK_FALSE(std::filesystem::exists(dir.File("cut/metrics.json")));
  auto resumed = testing::RunProcess(TrainArgs(dir, "r.json", "cut", {"resume_from_checkpoint=true"}), one_thread);
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.out.find("resumed from " + dir.File("cut/checkpoint-")) != std::string::npos);
  CheckSameMetrics(ReadJson(dir.File("whole/metrics.json")), ReadJson(dir.File("cut/metrics.json")));
  // save_total_limit 1 keeps the newest checkpoint and the best one (when they differ).
  nlohmann::json state = ReadJson(dir.File("whole/checkpoint-90/trainer_state.json"));
  std::set<std::string> kept;
  for (const auto& entry : std::filesystem::directory_iterator(dir.File("whole")))
    if (entry.path().filename().string().rfind("checkpoint-", 0) == 0) kept.insert(entry.path().string());
  std::set<std::string> expected = {dir.File("whole/checkpoint-90"), state["best_model_checkpoint"].get<std::string>()};
  CHECK(kept == expected);
  for (const char* file : {"model.pt", "optimizer.pt", "trainer_state.json", "training_args.json"})
    CHECK(std::filesystem::exists(dir.File("whole/checkpoint-90/") + file));
  CHECK(state["global_step"] == 90);
  CHECK(state["log_history"].size() == 9 + 3);  // a loss every 10 steps, an evaluation every 30
}

TEST_CASE("knob-train: a CNN resumed from its checkpoint ends as an uninterrupted run") {
  // The CNN's hand-written part (batch norm and ReLU, with and without the pool)
  // saves and restores like the rest.
  testing::TempDir dir;
  std::ofstream(dir.File("r.json")) << kResumable;
  const std::vector<std::string> sets = {
      "save_total_limit=3",
      R"(model={"type":"cnn","channels":[4,8],"convs_per_block":2,"conv_dropout":0.1,"hidden":[16]})"};
  const std::vector<std::string> one_thread = {"OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1"};
  auto whole = testing::RunProcess(TrainArgs(dir, "r.json", "whole", sets), one_thread);
  INFO(whole.err);
  REQUIRE(whole.exit_code == 0);
  std::filesystem::copy(dir.File("whole"), dir.File("cut"), std::filesystem::copy_options::recursive);
  for (const char* done : {"checkpoint-90", "metrics.json", "model.pt"})
    std::filesystem::remove_all(dir.File("cut/") + done);
  std::vector<std::string> resume = sets;
  resume.push_back("resume_from_checkpoint=true");
  auto resumed = testing::RunProcess(TrainArgs(dir, "r.json", "cut", resume), one_thread);
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.out.find("resumed from " + dir.File("cut/checkpoint-60")) != std::string::npos);
  CheckSameMetrics(ReadJson(dir.File("whole/metrics.json")), ReadJson(dir.File("cut/metrics.json")));
}

TEST_CASE("knob-train: SIGTERM saves a checkpoint and exits cleanly") {
  testing::TempDir dir;
  std::ofstream(dir.File("r.json")) << kResumable;
  testing::PipedProcess run(TrainArgs(dir, "r.json", "out", {"save_strategy=no", "load_best_model_at_end=false"}),
                            {"OMP_NUM_THREADS=1"});
  while (auto line = run.ReadLine())
    if (StepOfLogLine(*line) >= 20) break;
  run.Signal(SIGTERM);
  std::string last;
  while (auto line = run.ReadLine()) last = *line;
  CHECK(run.Wait() == 0);
  CHECK(last.rfind("stopped by a signal at step ", 0) == 0);
  int step = std::stoi(last.substr(std::string("stopped by a signal at step ").size()));
  CHECK(step >= 20);
  CHECK(step < 90);
  CHECK(std::filesystem::exists(dir.File("out/checkpoint-" + std::to_string(step) + "/model.pt")));
  CHECK_FALSE(std::filesystem::exists(dir.File("out/metrics.json")));
}

TEST_CASE("knob-train: a CNN, a CSV table and bf16 train") {
  testing::TempDir dir;
  std::ofstream(dir.File("quick.json")) << kQuick;
  SUBCASE("a small CNN on Fashion-MNIST") {
    auto run = testing::RunProcess(TrainArgs(dir, "quick.json", "cnn",
                                             {"max_steps=60", "model={\"type\":\"cnn\",\"channels\":[8,16]}"}),
                                   {"OMP_NUM_THREADS=2"});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(ReadJson(dir.File("cnn/metrics.json"))["test_accuracy"].get<double>() > 0.6);
  }
  SUBCASE("bf16 autocast on the CPU") {
    auto run = testing::RunProcess(TrainArgs(dir, "quick.json", "bf16", {"bf16=true", "max_steps=60"}),
                                   {"OMP_NUM_THREADS=2"});
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(ReadJson(dir.File("bf16/metrics.json"))["test_accuracy"].get<double>() > 0.6);
  }
  SUBCASE("a CSV table with named classes") {
    // Three classes in 4 columns: the class decides which column is large.
    std::mt19937 rng(5);
    std::normal_distribution<float> noise(0, 0.3f);
    const char* names[] = {"cat", "dog", "owl"};
    for (const char* file : {"train.csv", "test.csv"}) {
      std::ofstream csv(dir.File(file));
      csv << "a,b,species,c,d\n";
      for (int i = 0; i < 600; ++i) {
        int c = i % 3;
        float v[4];
        for (int k = 0; k < 4; ++k) v[k] = noise(rng) + (k == c ? 2.0f : 0.0f);
        csv << v[0] << "," << v[1] << "," << names[c] << "," << v[2] << "," << v[3] << "\n";
      }
    }
    auto run = testing::RunProcess(
        TrainArgs(dir, "quick.json", "csv",
                  {"max_steps=100", "dataset={\"name\":\"csv\",\"train_file\":\"" + dir.File("train.csv") +
                                        "\",\"test_file\":\"" + dir.File("test.csv") +
                                        "\",\"label_column\":\"species\",\"validation_size\":100}"}));
    INFO(run.err);
    REQUIRE(run.exit_code == 0);
    nlohmann::json m = ReadJson(dir.File("csv/metrics.json"));
    CHECK(m["test_accuracy"].get<double>() > 0.9);
    CHECK(m["test_f1"].get<double>() > 0.9);
  }
}

TEST_CASE("knob-train: a LibTorch failure (here an impossible allocation) is one line and exit 1") {
  testing::TempDir dir;
  std::ofstream(dir.File("quick.json")) << kQuick;
  auto run = testing::RunProcess(TrainArgs(dir, "quick.json", "out", {"model.hidden=[100000000000]"}));
  CHECK(run.exit_code == 1);
  CHECK(testing::LineCount(run.err) == 1);
  CHECK(run.err.find("knob-train: ") == 0);
  CHECK(run.err.find("can't allocate memory") != std::string::npos);
}

TEST_CASE("knob-train under knob run: a trial stopped at a random step resumes in its retry, as if never stopped") {
  testing::TempDir dir;
  std::ofstream(dir.File("r.json")) << kResumable;
  const std::vector<std::string> one_thread = {"OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1"};
  // Long enough that the stop lands well before the end.
  auto whole = testing::RunProcess(TrainArgs(dir, "r.json", "whole", {"max_steps=600"}), one_thread);
  INFO(whole.err);
  REQUIRE(whole.exit_code == 0);
  std::mt19937 rng(std::random_device{}());
  const int stop_after = std::uniform_int_distribution<int>(35, 300)(rng);
  INFO("stopped after step " << stop_after);
  // No space: the study has no parameters to draw; the retry is what is tested.
  std::ofstream(dir.File("study.yaml"))
      << "study: rs\nstorage: rs.db\nn_trials: 1\nmetric: eval_loss\nsampler: random\npruner: nop\n"
      << "trainer:\n  command: [" << KNOB_TRAIN_BINARY << ", --config, r.json, --set, max_steps=600, --set, \"output_dir={trial_dir}/out\"]\n"
      << "  env: {OMP_NUM_THREADS: 1, OPENBLAS_NUM_THREADS: 1}\n"
      << "resources: {gpus: none, cpu_slots: 1}\n";
  const std::string first_log = dir.File("knob-runs/rs/trial-00000/trainer.log");
  auto logged_steps = [](const std::string& log) {
    std::vector<int> steps;  // of the training-loss lines, one every logging_steps
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);) {
      auto json = nlohmann::json::parse(line, nullptr, false);
      if (json.is_object() && json.contains("loss") && json.contains("step")) steps.push_back(json["step"].get<int>());
    }
    return steps;
  };
  {
    testing::PipedProcess run({KNOB_BINARY, "run", dir.File("study.yaml")});
    bool reached = false;
    for (int i = 0; i < 12 && !reached; ++i)  // the log is polled for up to about two minutes
      reached = testing::WaitUntil([&] {
        auto steps = logged_steps(first_log);
        return !steps.empty() && steps.back() + 10 > stop_after;
      });
    REQUIRE(reached);
    run.Signal(SIGTERM);  // knob stops its trials: knob-train saves a checkpoint where it is
    CHECK(run.Wait() == 130);
  }
  std::string first = ReadText(first_log);
  INFO(first.substr(first.size() > 600 ? first.size() - 600 : 0));
  size_t at = first.rfind("stopped by a signal at step ");
  REQUIRE(at != std::string::npos);
  int saved = std::stoi(first.substr(at + std::string("stopped by a signal at step ").size()));
  REQUIRE(std::filesystem::exists(dir.File("knob-runs/rs/trial-00000/out/checkpoint-" + std::to_string(saved))));
  auto again = testing::RunKnob({"run", dir.File("study.yaml")});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  auto storage = SqliteStorage::Open(dir.File("rs.db"), StorageAccess::kRead);
  auto snapshot = (*storage)->ReadStudy((*storage)->FindStudy("rs")->study_id);
  REQUIRE(snapshot->trials.size() == 2);
  CHECK(snapshot->trials[0].state == TrialState::kFail);
  CHECK(snapshot->trials[0].system_attrs["knob:fail_kind"] == "interrupted");
  CHECK(snapshot->trials[1].state == TrialState::kComplete);
  std::string second = ReadText(dir.File("knob-runs/rs/trial-00001/trainer.log"));
  CHECK(second.find("resumed from " + dir.File("knob-runs/rs/trial-00000/out/checkpoint-" + std::to_string(saved)) +
                    " at step " + std::to_string(saved)) != std::string::npos);
  CheckSameMetrics(ReadJson(dir.File("whole/metrics.json")), ReadJson(dir.File("knob-runs/rs/trial-00001/out/metrics.json")));
  // Resumed, not restarted: the first attempt trained steps 1..saved, the retry saved+1..600;
  // every logged step appears once over both.
  std::vector<int> steps;
  for (int step : logged_steps(first_log))
    if (step <= saved) steps.push_back(step);
  auto retried = logged_steps(dir.File("knob-runs/rs/trial-00001/trainer.log"));
  for (int step : retried) CHECK(step > saved);
  steps.insert(steps.end(), retried.begin(), retried.end());
  std::vector<int> expected;
  for (int step = 10; step <= 600; step += 10) expected.push_back(step);
  CHECK(steps == expected);
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
