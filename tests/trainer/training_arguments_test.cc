// knob-train's configuration: HF names and defaults, overrides, and one-line
// errors naming the key.
#include <doctest/doctest.h>

#include "trainer/training_arguments.h"

namespace knob {

TEST_CASE("training arguments: Hugging Face defaults, values and --set overrides") {
  auto defaults = ParseTrainingArguments(nlohmann::json::object());
  REQUIRE(defaults.ok());
  CHECK(defaults->learning_rate == 5e-5);
  CHECK(defaults->num_train_epochs == 3.0);
  CHECK(defaults->per_device_train_batch_size == 8);
  CHECK(defaults->max_grad_norm == 1.0);
  CHECK(defaults->save_steps == 500);
  CHECK(defaults->seed == 42);
  CHECK(defaults->lr_scheduler_type == LrScheduleType::kLinear);
  CHECK(defaults->EvalMetricName() == "eval_loss");
  CHECK_FALSE(defaults->GreaterIsBetter());

  auto config = ApplyOverrides(nlohmann::json::parse(R"({"learning_rate": 0.001, "model": {"type": "mlp"}})"),
                               {"learning_rate=3e-4", "optim=adamw_torch", "model.width=256",
                                "dataset.name=fashion-mnist", "lr_scheduler_type=cosine",
                                "metric_for_best_model=accuracy", "eval_strategy=epoch", "save_strategy=epoch",
                                "load_best_model_at_end=true", "resume_from_checkpoint=true"});
  REQUIRE(config.ok());
  auto args = ParseTrainingArguments(*config);
  REQUIRE(args.ok());
  CHECK(args->learning_rate == 3e-4);
  CHECK(args->optim == "adamw");
  CHECK(args->model["type"] == "mlp");
  CHECK(args->model["width"] == 256);
  CHECK(args->dataset["name"] == "fashion-mnist");
  CHECK(args->lr_scheduler_type == LrScheduleType::kCosine);
  CHECK(args->EvalMetricName() == "eval_accuracy");
  CHECK(args->GreaterIsBetter());
  CHECK(args->resume_from_checkpoint == "last");
}

TEST_CASE("training arguments: every bad value is one line naming its key") {
  auto error = [](const std::string& json) {
    auto args = ParseTrainingArguments(nlohmann::json::parse(json));
    return args.ok() ? std::string("ok") : args.error().message;
  };
  CHECK(error(R"({"learnin_rate": 1})") == "unknown key 'learnin_rate'");
  CHECK(error(R"({"learning_rate": "fast"})") == "learning_rate: expected a number > 0, got \"fast\"");
  CHECK(error(R"({"per_device_train_batch_size": 0})") ==
        "per_device_train_batch_size: expected an integer >= 1, got 0");
  CHECK(error(R"({"max_steps": 0})") == "max_steps: expected an integer >= 1, or -1 for none, got 0");
  CHECK(error(R"({"optim": "lion"})") == "optim: expected adamw, adam or sgd, got 'lion'");
  CHECK(error(R"({"eval_strategy": "best"})") == "eval_strategy: expected no, steps or epoch, got 'best'");
  CHECK(error(R"({"lr_scheduler_type": "step"})") ==
        "lr_scheduler_type: unknown schedule 'step'; choose linear, cosine, cosine_with_restarts, polynomial, "
        "constant or constant_with_warmup");
  CHECK(error(R"({"fp16": true, "bf16": true})") == "fp16 and bf16: choose one");
  CHECK(error(R"({"load_best_model_at_end": true})") ==
        "load_best_model_at_end: needs an eval_strategy other than no");
  CHECK(error(R"({"load_best_model_at_end": true, "eval_strategy": "steps", "eval_steps": 300})") ==
        "load_best_model_at_end: needs save_steps (500) to be a multiple of eval_steps (300)");
  CHECK(error(R"({"model": [1]})") == "model: expected an object, got [1]");
  CHECK(error(R"({"early_stopping_patience": 3})") ==
        "early_stopping_patience: needs an eval_strategy other than no");
  CHECK(ApplyOverrides(nlohmann::json::object(), {"nonsense"}).error().message == "--set nonsense: expected key=value");
}

}  // namespace knob
