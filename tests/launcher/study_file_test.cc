// Study files: what they mean, and every bad one refused by `knob run` with one
// line naming file, line and key, exit code 2, and nothing written.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "studies/study_file.h"
#include "test_support.h"

namespace knob {
namespace {

using testing::RunKnob;
using testing::TempDir;

const char* kGood = R"(study: s
storage: sub/s.db
direction: maximize
metric: eval_accuracy
n_trials: 12
timeout: 2h
sampler: {name: tpe, seed: 1}
pruner: {name: asha, min_resource: 1, reduction_factor: 3}
space:
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  tag: {type: categorical, choices: ["1", 2, yes]}
trainer:
  command: [/bin/true, --lr, "{lr}", "{{x}}"]
  timeout: 10m
  retries: 1
  env: {OMP_NUM_THREADS: 1}
resources: {gpus: [0, 2], trials_per_gpu: 2}
)";

}  // namespace

TEST_CASE("study file: keys, defaults, YAML scalar types and resolved paths") {
  TempDir dir;
  std::ofstream(dir.File("s.yaml")) << kGood;
  auto file = LoadStudyFile(dir.File("s.yaml"));
  REQUIRE(file.ok());
  CHECK(file->config.name == "s");
  CHECK(file->config.direction == StudyDirection::kMaximize);
  CHECK(file->storage == "sqlite:///" + dir.File("sub/s.db"));
  // SQLAlchemy's options stay after the resolved path; a '?' in a folder's name keeps the path bare.
  auto with_options = LoadStudyFile(dir.File("s.yaml"), {"storage=sqlite:///t.db?timeout=30"});
  REQUIRE(with_options.ok());
  CHECK(with_options->storage == "sqlite:///" + dir.File("t.db") + "?timeout=30");
  std::filesystem::create_directory(dir.File("wh?at"));
  std::ofstream(dir.File("wh?at/s.yaml")) << kGood;
  auto odd_folder = LoadStudyFile(dir.File("wh?at/s.yaml"));
  REQUIRE(odd_folder.ok());
  CHECK(odd_folder->storage == dir.File("wh?at/sub/s.db"));
  CHECK(file->metric == "eval_accuracy");
  CHECK(*file->n_trials == 12);
  CHECK(*file->timeout_seconds == 7200);
  CHECK(file->config.sampler.options["seed"] == 1);
  CHECK(file->config.pruner.name == "asha");
  CHECK(file->config.pruner.options["reduction_factor"] == 3);
  // A quoted "1" stays a string; a plain 2 is a number; yes is a string in YAML 1.2.
  auto choices = SearchSpaceToJson(*file->config.space)["tag"]["choices"];
  CHECK(choices == nlohmann::json::parse(R"(["1", 2, "yes"])"));
  CHECK(file->trainer.command == std::vector<std::string>{"/bin/true", "--lr", "{lr}", "{{x}}"});
  CHECK(*file->trainer.timeout_seconds == 600);
  CHECK(file->trainer.env.at("OMP_NUM_THREADS") == "1");
  CHECK(file->resources.gpu_ids == std::vector<std::string>{"0", "2"});
  CHECK(file->output_dir == dir.File("knob-runs/s"));
  // The same document as JSON means the same.
  std::ofstream(dir.File("s.json")) << file->document.dump();
  auto json = LoadStudyFile(dir.File("s.json"));
  REQUIRE(json.ok());
  CHECK(json->trainer.command == file->trainer.command);
  CHECK(json->config.space == file->config.space);
  // The defaults of what protocol 2 added.
  CHECK(file->trainer.reuse);
  CHECK(file->trainer.working_dir == "{trial_dir}");
  CHECK_FALSE(file->trainer.max_trials_per_worker);
  CHECK(file->trainer.max_log_mb == 1024);
  CHECK(file->keep_checkpoints == CheckpointKeep::kAll);
}

TEST_CASE("study file: without a space the trainer's suggestions define it; reuse, working_dir, checkpoints") {
  TempDir dir;
  std::ofstream(dir.File("s.yaml")) << "study: s\nn_trials: 3\ncheckpoints: {keep: best}\n"
                                       "trainer:\n  command: [/bin/true, '{resume_dir}']\n  reuse: false\n"
                                       "  working_dir: '{study_dir}/work'\n  max_trials_per_worker: 5\n";
  auto file = LoadStudyFile(dir.File("s.yaml"));
  REQUIRE_MESSAGE(file.ok(), file.error().message);
  REQUIRE(file->config.space);
  CHECK(file->config.space->empty());
  CHECK_FALSE(file->trainer.reuse);
  CHECK(file->trainer.working_dir == "{study_dir}/work");
  CHECK(*file->trainer.max_trials_per_worker == 5);
  CHECK(file->keep_checkpoints == CheckpointKeep::kBest);
  CHECK(file->trainer.processes == 1);
  CHECK_FALSE(file->trainer.processes_per_gpu);
  auto two = LoadStudyFile(dir.File("s.yaml"), {"trainer.processes=2"});
  REQUIRE_MESSAGE(two.ok(), two.error().message);
  CHECK(two->trainer.processes == 2);
  auto per_gpu = LoadStudyFile(dir.File("s.yaml"), {"trainer.processes=per_gpu"});
  REQUIRE_MESSAGE(per_gpu.ok(), per_gpu.error().message);
  CHECK(per_gpu->trainer.processes_per_gpu);
}

TEST_CASE("study file: every bad file is one line, exit 2, nothing on disk") {
  TempDir dir;
  auto path = dir.File("bad.yaml");
  struct Case {
    std::string edit_from, edit_to;  // applied to the good file
    std::string message;             // after "<path>:"
  };
  const std::vector<Case> cases = {
      {"  retries: 1", "  retries: 1\n  comand: [x]",
       "16: unknown key 'trainer.comand' (known here: command, env, max_log_mb, max_trials_per_worker, processes, "
       "retries, reuse, stop_grace, timeout, working_dir)"},
      {"  timeout: 10m", "  timeout: ten", "14: trainer.timeout: expected a duration such as 90s, 10m, 2h or 1h30m, got 'ten'"},
      {"\"{lr}\"", "\"{lrr}\"", "13: trainer.command[2]: {lrr} is neither a parameter of the space nor one of "
                                "{trial_number}, {trial_dir}, {study_dir}, {study}, {resume_dir}"},
      {"[/bin/true, --lr, \"{lr}\", \"{{x}}\"]", "/bin/true --lr 1",
       "13: trainer.command: expected a list of arguments (knob runs no shell), e.g. [python3, train.py]"},
      {"/bin/true", "no-such-trainer-program", " trainer.command[0]: 'no-such-trainer-program' is not an executable file or not on PATH"},
      {"reduction_factor: 3}", "reduction_factor: 1}", "8: asha pruner: option 'reduction_factor': expected an integer >= 2, got 1"},
      {"seed: 1}", "seed: 1, gama: 2}", "7: tpe sampler: unknown option 'gama'"},
      {"high: 1.0e-1", "high: 1.0e-6", "10: space: parameter 'lr': low 1e-05 is greater than high 1e-06"},
      {"direction: maximize", "direction: up", "3: direction: direction must be minimize or maximize, got 'up'"},
      {"n_trials: 12\ntimeout: 2h\n", "", " a study needs a budget: set n_trials or timeout (or give --n-trials)"},
      {"trials_per_gpu: 2}", "trials_per_gpu: 0}", "17: resources.trials_per_gpu: expected an integer >= 1, got 0"},
      {"{gpus: [0, 2]", "{gpus: [0, 5]", " resources.gpus: GPU 5 is not available (CUDA_VISIBLE_DEVICES gives 0,1,2)"},
      {"space:\n", "space: [\n", "11: malformed YAML: end of sequence flow not found"},
      {"  retries: 1", "  retries: 1\n  reuse: sometimes", "16: trainer.reuse: expected true or false, got \"sometimes\""},
      {"  retries: 1", "  retries: 1\n  max_trials_per_worker: 0",
       "16: trainer.max_trials_per_worker: expected an integer >= 1, got 0"},
      {"  retries: 1", "  retries: 1\n  working_dir: '{nope}'",
       "16: trainer.working_dir: {nope} is neither a parameter of the space nor one of "
       "{trial_number}, {trial_dir}, {study_dir}, {study}, {resume_dir}"},
      {"  retries: 1", "  retries: 1\n  processes: 0", "16: trainer.processes: expected an integer >= 1, got 0"},
      {"  retries: 1", "  retries: 1\n  max_log_mb: 0", "16: trainer.max_log_mb: expected an integer >= 1, got 0"},
      {"  retries: 1", "  retries: 1\n  max_log_mb: 1e30", "16: trainer.max_log_mb: expected an integer >= 1, got 1e+30"},
      {"  retries: 1", "  retries: 1\n  processes: each", "16: trainer.processes: expected a number of processes or per_gpu, got \"each\""},
      {"  retries: 1", "  retries: 1\n  processes: 100000", "16: trainer.processes: at most 256 processes per trial, got 100000"},
      {"n_trials: 12\n", "n_trials: 12\nstudy: t\n", "6: key 'study' appears twice"},
      {"  retries: 1", "  retries: 1\n  retries: 2", "16: trainer: key 'retries' appears twice"},
      {"n_trials: 12\n", "n_trials: 12\ncheckpoints: {keep: some}\n",
       "6: checkpoints.keep: expected all, best or none, got \"some\""},
  };
  for (const auto& c : cases) {
    std::string text = kGood;
    size_t at = text.find(c.edit_from);
    REQUIRE_MESSAGE(at != std::string::npos, c.edit_from);
    text.replace(at, c.edit_from.size(), c.edit_to);
    std::ofstream(path) << text;
    auto run = RunKnob({"run", path}, {"CUDA_VISIBLE_DEVICES=0,1,2"});
    INFO(c.message);
    CHECK(run.exit_code == 2);
    CHECK(run.err == "knob: " + path + ":" + c.message + "\n");
    CHECK_FALSE(std::filesystem::exists(dir.File("sub/s.db")));
  }
  auto missing = RunKnob({"run", dir.File("nope.yaml")});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "knob: cannot read study file '" + dir.File("nope.yaml") + "'\n");
}

TEST_CASE("study file: an existing study's direction cannot change; resume needs a stored file") {
  TempDir dir;
  std::string db = dir.File("s.db");
  REQUIRE(RunKnob({"create-study", "--storage", db, "--study", "s", "--direction", "minimize"}).exit_code == 0);
  std::string text = kGood;
  text.replace(text.find("sub/s.db"), 8, "s.db");
  text.replace(text.find("{gpus: [0, 2], trials_per_gpu: 2}"), 33, "{gpus: none}");
  std::ofstream(dir.File("s.yaml")) << text;
  std::string before = testing::DumpDatabase(db);
  auto run = RunKnob({"run", dir.File("s.yaml")});
  CHECK(run.exit_code == 2);
  CHECK(run.err == "knob: study 's' exists with direction minimize; its direction cannot change\n");
  CHECK(testing::DumpDatabase(db) == before);
  auto resume = RunKnob({"resume", "--storage", db, "--study", "s"});
  CHECK(resume.exit_code == 2);
  CHECK(resume.err == "knob: study 's' has no stored study file (it was not started by `knob run`)\n");
}

}  // namespace knob
