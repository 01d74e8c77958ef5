// knob-train's configuration: Hugging Face `TrainingArguments` names, meanings and
// defaults (reference/trainer.md 1.1), plus `model` and `dataset` sections, read
// from a JSON file and `--set key=value` overrides (`model.width=256` reaches into
// a section). Every check is made before training starts; an unknown key or a
// wrong type is one line naming the key. Used by knob-train (issue 5); Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "trainer/lr_schedule.h"

namespace knob {

enum class IntervalStrategy { kNo, kSteps, kEpoch, kBest };  // kBest: save_strategy only

struct TrainingArguments {
  std::string output_dir = "trainer_output";
  double num_train_epochs = 3.0;
  int64_t max_steps = -1;  // > 0 overrides epochs; counts optimizer updates
  int per_device_train_batch_size = 8;
  int per_device_eval_batch_size = 8;
  int gradient_accumulation_steps = 1;
  double learning_rate = 5e-5;
  double weight_decay = 0.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  double max_grad_norm = 1.0;  // 0 disables clipping
  std::string optim = "adamw";  // adamw (adamw_torch), adam, sgd
  double sgd_momentum = 0.0;
  bool sgd_nesterov = false;
  LrScheduleType lr_scheduler_type = LrScheduleType::kLinear;
  int64_t warmup_steps = 0;
  double warmup_ratio = 0.0;
  IntervalStrategy eval_strategy = IntervalStrategy::kNo;
  std::optional<int64_t> eval_steps;  // default: logging_steps
  IntervalStrategy save_strategy = IntervalStrategy::kSteps;
  int64_t save_steps = 500;
  std::optional<int> save_total_limit;
  bool load_best_model_at_end = false;
  std::string metric_for_best_model;        // "" = none; "loss" by default with load_best_model_at_end
  std::optional<bool> greater_is_better;    // default: not metric.endswith("loss")
  int64_t logging_steps = 500;
  int seed = 42;
  bool bf16 = false;
  bool fp16 = false;
  bool use_cpu = false;  // train on the CPU even when CUDA is there
  int dataloader_num_workers = 0;  // accepted for HF compatibility: batches are gathered in memory
  // A checkpoint folder, "last" (output_dir's newest), "auto" (the newest that the
  // attempt knob retries left: $KNOB_RESUME_DIR; fresh when there is none) or ""
  // (start fresh).
  std::string resume_from_checkpoint = "auto";
  std::optional<int> early_stopping_patience;
  double early_stopping_threshold = 0.0;
  std::optional<int64_t> max_train_samples;
  std::optional<int64_t> max_eval_samples;
  nlohmann::json model = nlohmann::json::object();
  nlohmann::json dataset = nlohmann::json::object();

  // The metric name with HF's `eval_` prefix ("eval_loss").
  std::string EvalMetricName() const;
  bool GreaterIsBetter() const;
};

// Applies `key=value` overrides to a config: the value is JSON when it parses as
// JSON (numbers, true, [1,2]), else a string; dotted keys reach into sections.
Result<nlohmann::json> ApplyOverrides(nlohmann::json config, const std::vector<std::string>& sets);

// Checks and reads a whole config.
Result<TrainingArguments> ParseTrainingArguments(const nlohmann::json& config);

}  // namespace knob
