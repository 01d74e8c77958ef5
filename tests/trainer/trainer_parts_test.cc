// The Torch-free parts of knob-train: CSV tables, the model and dataset sections,
// augmentation, accuracy and macro-F1, which checkpoints save_total_limit
// deletes, the trainer state's round trip, and fp16 loss scaling.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "test_support.h"
#include "trainer/augment.h"
#include "trainer/checkpoint_folders.h"
#include "trainer/classification_metrics.h"
#include "trainer/csv_table.h"
#include "trainer/dataset.h"
#include "trainer/model_spec.h"
#include "trainer/trainer_state.h"

namespace knob {

TEST_CASE("CSV: quoted fields, label column anywhere, errors name file and line") {
  CHECK(*SplitCsvLine(R"(1,"a,b","say ""hi""",)") == std::vector<std::string>{"1", "a,b", "say \"hi\"", ""});
  CHECK_FALSE(SplitCsvLine(R"(1,"open)").ok());
  testing::TempDir dir;
  std::ofstream(dir.File("t.csv")) << "x, y ,label\r\n1.5,2,b\n\n-3,4e-1,a\n";
  auto table = ReadCsvTable(dir.File("t.csv"), "label");
  REQUIRE(table.ok());
  CHECK(table->feature_names == std::vector<std::string>{"x", "y"});
  CHECK(table->features == std::vector<float>{1.5f, 2.0f, -3.0f, 0.4f});
  auto classes = LabelsToClasses(table->labels, {});
  CHECK(classes->indices == std::vector<int64_t>{1, 0});
  CHECK(classes->num_classes == 2);
  CHECK(LabelsToClasses({"c"}, classes->classes).error().message == "label 'c' is not a class of the training table");
  CHECK(LabelsToClasses({"0", "4"}, {})->num_classes == 5);

  std::ofstream(dir.File("bad.csv")) << "x,label\n1,0\n2,0,7\n";
  CHECK(ReadCsvTable(dir.File("bad.csv"), "label").error().message ==
        dir.File("bad.csv") + ":3: expected 2 columns, found 3");
  std::ofstream(dir.File("nan.csv")) << "x,label\nseven,0\n";
  CHECK(ReadCsvTable(dir.File("nan.csv"), "label").error().message ==
        dir.File("nan.csv") + ":2: column 'x': expected a number, got 'seven'");
  CHECK(ReadCsvTable(dir.File("t.csv"), "class").error().message ==
        dir.File("t.csv") + ":1: no label column 'class' in the header");
  // Numbers a float cannot hold, empty fields and non-finite ones, each named.
  auto feature_error = [&](const std::string& field) {
    std::ofstream(dir.File("f.csv")) << "x,label\n" << field << ",0\n1,1\n";
    return ReadCsvTable(dir.File("f.csv"), "label").error().message.substr(dir.File("f.csv").size());
  };
  CHECK(feature_error("1e300") == ":2: column 'x': '1e300' is beyond a 32-bit float's range (about 3.4e38)");
  CHECK(feature_error("-1e400") == ":2: column 'x': '-1e400' is beyond a 32-bit float's range (about 3.4e38)");
  CHECK(feature_error("") == ":2: column 'x': expected a number, got an empty field");
  CHECK(feature_error("nan") == ":2: column 'x': expected a finite number, got 'nan'");
  CHECK(feature_error("-inf") == ":2: column 'x': expected a finite number, got '-inf'");
  CHECK(feature_error(std::string(5000, '7') + "x").size() < 200);  // the field is cut in the message
  std::ofstream(dir.File("tiny.csv")) << "x,label\n1e-50,0\n-2.5e-400,1\n1e-40,1\n";
  CHECK(ReadCsvTable(dir.File("tiny.csv"), "label")->features == std::vector<float>{0.0f, 0.0f, 1e-40f});
  // A label that would make a huge output layer is refused, integer or name.
  CHECK(LabelsToClasses({"0", "99999999999"}, {}).error().message ==
        "integer label 99999999999 is a class index, and at most 100000 classes (0 to 99999) are taken; give the "
        "classes as names to have them numbered");
  CHECK(LabelsToClasses({"0", "99999"}, {})->num_classes == 100000);
  std::vector<std::string> many;
  for (int i = 0; i <= 100000; ++i) many.push_back("v" + std::to_string(i));
  CHECK(LabelsToClasses(many, {}).error().message ==
        "the label column holds 100001 distinct values; at most 100000 classes are taken (is it a regression target?)");
}

TEST_CASE("dataset: a CSV table is split, normalised per column with training statistics") {
  testing::TempDir dir;
  {
    std::ofstream csv(dir.File("d.csv"));
    csv << "label,f1,f2\n";
    for (int i = 0; i < 100; ++i) csv << (i % 2) << "," << i << "," << 5 << "\n";
  }
  auto spec = ParseDataSpec({{"name", "csv"}, {"train_file", dir.File("d.csv")}, {"validation_size", 20}});
  REQUIRE(spec.ok());
  auto data = LoadDataset(*spec, 1, std::nullopt, std::nullopt);
  REQUIRE(data.ok());
  CHECK(data->train.count == 80);
  CHECK(data->validation.count == 20);
  CHECK_FALSE(data->test.has_value());
  CHECK(data->num_classes == 2);
  CHECK_FALSE(data->is_image());
  double sum = 0, sum_sq = 0;
  for (int64_t i = 0; i < data->train.count; ++i) {
    double v = data->train.features[i * 2];
    sum += v, sum_sq += v * v;
    CHECK(data->train.features[i * 2 + 1] == 0.0f);  // a constant column becomes 0
  }
  CHECK(sum / 80 == doctest::Approx(0).epsilon(1e-5));
  CHECK(sum_sq / 80 == doctest::Approx(1).epsilon(1e-4));
  auto truncated = LoadDataset(*spec, 1, 10, 5);
  CHECK(truncated->train.count == 10);
  CHECK(truncated->validation.count == 5);
}

TEST_CASE("dataset and model sections: each mistake is one line naming the key") {
  CHECK(ParseDataSpec({{"name", "cifar"}}).error().message ==
        "dataset.name: expected fashion-mnist, mnist, idx or csv, got \"cifar\"");
  CHECK(ParseDataSpec({{"name", "mnist"}}).error().message == "dataset.path: name mnist needs its IDX folder");
  CHECK(ParseDataSpec({{"augment", {{"max_shift", -1}}}}).error().message ==
        "dataset.augment.max_shift: expected an integer >= 0, got -1");
  CHECK(ParseDataSpec({{"name", "csv"}, {"train_file", "t.csv"}, {"augment", {{"horizontal_flip", true}}}})
            .error().message == "dataset.augment: only for image datasets, not csv");
  CHECK(ParseDataSpec({{"name", "fashion-mnist"}})->path == "/usr/share/datasets/fashion-mnist");

  auto cnn = ParseModelSpec({{"type", "cnn"}, {"channels", {16, 32, 64}}, {"pooling", "avg"}});
  REQUIRE(cnn.ok());
  CHECK(cnn->type == ModelType::kCnn);
  CHECK(cnn->hidden == std::vector<int64_t>{128});  // a CNN's default dense layer
  CHECK(ParseModelSpec({{"type", "cnn"}, {"kernel", 4}}).error().message ==
        "model.kernel: expected an odd integer >= 1, got 4");
  CHECK(ParseModelSpec({{"type", "cnn"}, {"norm", "layer"}}).error().message ==
        "model.norm: only for type mlp (a CNN has batch_norm)");
  CHECK(ParseModelSpec({{"activation", "swish"}}).error().message ==
        "model.activation: expected relu, gelu, tanh or silu, got \"swish\"");
  CHECK(ParseModelSpec({{"hidden", nlohmann::json::array()}}).error().message ==
        "model.hidden: an MLP needs at least one hidden layer");
}

TEST_CASE("augmentation: flips and shifts with replicated edges, the same for the same (seed, step)") {
  // One 1x2x3 image: [[1 2 3] [4 5 6]].
  const std::vector<float> image = {1, 2, 3, 4, 5, 6};
  AugmentSpec flip_only{true, 0};
  int flipped = 0;
  for (int step = 0; step < 64; ++step) {
    std::vector<float> x = image;
    AugmentBatch(x.data(), 1, {1, 2, 3}, flip_only, 7, step);
    if (x != image) {
      CHECK(x == std::vector<float>{3, 2, 1, 6, 5, 4});
      ++flipped;
    }
  }
  CHECK(flipped > 16);  // about half of 64
  CHECK(flipped < 48);
  AugmentSpec shift_only{false, 1};
  std::set<std::vector<float>> seen;
  for (int step = 0; step < 64; ++step) {
    std::vector<float> x = image;
    AugmentBatch(x.data(), 1, {1, 2, 3}, shift_only, 7, step);
    seen.insert(x);
  }
  CHECK(seen.size() == 9);  // every (dy, dx) in {-1, 0, 1}^2
  CHECK(seen.count({1, 1, 2, 4, 4, 5}));  // moved right by one: the left edge repeats
  std::vector<float> a(12, 0), b(12, 0);
  for (int i = 0; i < 12; ++i) a[i] = b[i] = static_cast<float>(i);
  AugmentBatch(a.data(), 2, {1, 2, 3}, {true, 1}, 3, 11);
  AugmentBatch(b.data(), 2, {1, 2, 3}, {true, 1}, 3, 11);
  CHECK(a == b);
}

TEST_CASE("classification scores: accuracy and scikit-learn's macro-F1") {
  // sklearn.metrics.f1_score([0,0,1,1,2,2], [0,1,1,1,0,2], average="macro") = 0.6555...
  auto s = ScoreClassification({0, 1, 1, 1, 0, 2}, {0, 0, 1, 1, 2, 2}, 3);
  CHECK(s.accuracy == doctest::Approx(4.0 / 6));
  CHECK(s.macro_f1 == doctest::Approx((0.5 + 0.8 + 2.0 / 3) / 3));
  // A class nobody predicts and nobody is (class 3 of 4) does not count.
  CHECK(ScoreClassification({0, 1}, {0, 1}, 4).macro_f1 == doctest::Approx(1.0));
  // A class that is predicted but never true scores 0.
  CHECK(ScoreClassification({2, 1}, {0, 1}, 3).macro_f1 == doctest::Approx(1.0 / 3));
}

TEST_CASE("save_total_limit: the oldest checkpoints go, never the best") {
  CHECK(CheckpointsToDelete({10, 20, 30}, std::nullopt, std::nullopt).empty());
  CHECK(CheckpointsToDelete({10, 20, 30}, 2, std::nullopt) == std::vector<int64_t>{10});
  CHECK(CheckpointsToDelete({10, 20, 30, 40}, 2, 10) == std::vector<int64_t>{20, 30});
  CHECK(CheckpointsToDelete({10, 20, 30}, 1, 20) == std::vector<int64_t>{10});  // best and newest stay
  CHECK(CheckpointsToDelete({10, 20, 30}, 1, 30) == std::vector<int64_t>{10, 20});
  CHECK(CheckpointsToDelete({10, 20}, 3, 10).empty());
}

TEST_CASE("checkpoint folders: only committed checkpoints count; partial ones are removed") {
  CHECK(CheckpointStepOf("out/checkpoint-120") == 120);
  CHECK(CheckpointStepOf(CheckpointFolder("out", 7)) == 7);
  CHECK_FALSE(CheckpointStepOf("out/checkpoint-x").has_value());
  CHECK_FALSE(CheckpointStepOf("out/.partial-checkpoint-40").has_value());
  CHECK_FALSE(CheckpointStepOf("").has_value());
  testing::TempDir dir;
  const std::string out = dir.path().string();
  std::filesystem::create_directories(PartialCheckpointFolder(out, 40));
  std::ofstream(PartialCheckpointFolder(out, 40) + "/model.pt") << "x";
  CHECK(CheckpointSteps(out).empty());
  CHECK(ResolveResumeFolder(out, "last").error().message == "resume_from_checkpoint: no checkpoint in '" + out + "'");
  REQUIRE(CommitCheckpoint(out, 40).ok());
  CHECK(CheckpointSteps(out) == std::vector<int64_t>{40});
  CHECK(*ResolveResumeFolder(out, "last") == CheckpointFolder(out, 40));
  std::filesystem::create_directories(PartialCheckpointFolder(out, 50));
  std::filesystem::create_directories(out + "/checkpoint-x");
  RemovePartialCheckpoints(out);
  CHECK_FALSE(std::filesystem::exists(PartialCheckpointFolder(out, 50)));
  CHECK(CheckpointSteps(out) == std::vector<int64_t>{40});
  CHECK(ResolveResumeFolder(out, out + "/checkpoint-x").error().message ==
        "resume_from_checkpoint: '" + out + "/checkpoint-x' is not a checkpoint folder");
}

TEST_CASE("auto resume: the newest whole checkpoint of the retried attempt's output_dir, else a fresh start") {
  testing::TempDir dir;
  const std::string old_trial = dir.File("trial-00003"), trial = dir.File("trial-00007");
  auto make = [](const std::string& folder, bool whole) {
    std::filesystem::create_directories(folder);
    if (whole) std::ofstream(folder + "/trainer_state.json") << "{}";
  };
  CHECK(AutoResumeFolder(trial + "/out", "", trial).empty());  // not a retry
  CHECK(AutoResumeFolder(trial + "/out", old_trial, trial).empty());  // nothing was saved
  make(old_trial + "/out/checkpoint-30", true);
  make(old_trial + "/out/checkpoint-60", true);
  make(old_trial + "/out/checkpoint-90", false);  // cut short while being written
  CHECK(AutoResumeFolder(trial + "/out", old_trial, trial) == old_trial + "/out/checkpoint-60");
  CHECK(AutoResumeFolder(trial + "/out/../out", old_trial, trial) == old_trial + "/out/checkpoint-60");
  // A relative output_dir is read in the old folder too; one outside the trial's folder is not the trial's.
  CHECK(AutoResumeFolder("out", old_trial, "") == old_trial + "/out/checkpoint-60");
  CHECK(AutoResumeFolder(dir.File("elsewhere"), old_trial, trial).empty());
}

TEST_CASE("trainer state: written and read back; loss scale halves on overflow, doubles after 2000 steps") {
  TrainerState s;
  s.global_step = 120;
  s.epoch = 1.5;
  s.max_steps = 400;
  s.best_metric = 0.25;
  s.best_model_checkpoint = "out/checkpoint-100";
  s.log_history.push_back({{"loss", 0.5}, {"step", 100}});
  s.evals_without_improvement = 2;
  s.running_loss = 3.25;
  s.logged_micro = 7;
  s.loss_scale.scale = 1024;
  s.loss_scale.good_steps = 12;
  auto back = TrainerState::FromJson(nlohmann::json::parse(s.ToJson().dump()));
  REQUIRE(back.ok());
  CHECK(back->ToJson() == s.ToJson());
  CHECK(s.ToJson()["best_model_checkpoint"] == "out/checkpoint-100");  // HF's field names
  CHECK(TrainerState::FromJson({{"global_step", 1}}).error().message.rfind("trainer_state.json: ", 0) == 0);

  LossScale scale;
  CHECK_FALSE(scale.Update(false));
  CHECK(scale.scale == 32768);
  for (int i = 0; i < 1999; ++i) CHECK(scale.Update(true));
  CHECK(scale.scale == 32768);
  CHECK(scale.Update(true));
  CHECK(scale.scale == 65536);
}

}  // namespace knob
