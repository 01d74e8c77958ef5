#include "trainer/training_arguments.h"

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>

#include "base/input_reader.h"
#include "base/json_text.h"
#include "base/key_overrides.h"
#include "base/value_reader.h"

namespace knob {
namespace {

Status ReadStrategy(const std::string& key, const nlohmann::json& v, bool allow_best, IntervalStrategy* out) {
  std::string name;
  KNOB_RETURN_IF_ERROR(ReadString(key, v, &name));
  if (name == "no") *out = IntervalStrategy::kNo;
  else if (name == "steps") *out = IntervalStrategy::kSteps;
  else if (name == "epoch") *out = IntervalStrategy::kEpoch;
  else if (name == "best" && allow_best) *out = IntervalStrategy::kBest;
  else return KeyError(key, std::string(allow_best ? "expected no, steps, epoch or best" : "expected no, steps or epoch") +
                                ", got '" + name + "'");
  return {};
}

// One reader per key: it checks the value (its key names it in errors) and stores it.
using KeyReader = std::function<Status(const std::string&, const nlohmann::json&, TrainingArguments&)>;

template <class T>
KeyReader Int(T TrainingArguments::*field, int64_t min) {
  return [field, min](const std::string& key, const nlohmann::json& v, TrainingArguments& a) -> Status {
    int64_t value = 0;
    KNOB_RETURN_IF_ERROR(ReadInt(key, v, min, &value, std::numeric_limits<T>::max()));
    a.*field = static_cast<T>(value);
    return {};
  };
}

KeyReader Number(double TrainingArguments::*field, double min, bool inclusive) {
  return [field, min, inclusive](const std::string& key, const nlohmann::json& v, TrainingArguments& a) {
    return ReadNumber(key, v, min, inclusive, &(a.*field));
  };
}

KeyReader Bool(bool TrainingArguments::*field) {
  return [field](const std::string& key, const nlohmann::json& v, TrainingArguments& a) {
    return ReadBool(key, v, &(a.*field));
  };
}

KeyReader String(std::string TrainingArguments::*field) {
  return [field](const std::string& key, const nlohmann::json& v, TrainingArguments& a) {
    return ReadString(key, v, &(a.*field));
  };
}

template <class T>
KeyReader OptionalInt(std::optional<T> TrainingArguments::*field, int64_t min) {
  return [field, min](const std::string& key, const nlohmann::json& v, TrainingArguments& a) -> Status {
    if (v.is_null()) {
      (a.*field).reset();
      return {};
    }
    int64_t value = 0;
    KNOB_RETURN_IF_ERROR(ReadInt(key, v, min, &value, std::numeric_limits<T>::max()));
    a.*field = static_cast<T>(value);
    return {};
  };
}

const std::map<std::string, KeyReader>& Readers() {
  using A = TrainingArguments;
  static const std::map<std::string, KeyReader> readers = {
      {"output_dir", String(&A::output_dir)},
      {"num_train_epochs", Number(&A::num_train_epochs, 0, false)},
      {"max_steps", [](const std::string& key, const nlohmann::json& v, A& a) -> Status {
         if (!v.is_number_integer() || (v.get<int64_t>() < 1 && v.get<int64_t>() != -1))
           return KeyError(key, "expected an integer >= 1, or -1 for none, got " + DumpJson(v));
         a.max_steps = v.get<int64_t>();
         return {};
       }},
      {"per_device_train_batch_size", Int(&A::per_device_train_batch_size, 1)},
      {"per_device_eval_batch_size", Int(&A::per_device_eval_batch_size, 1)},
      {"gradient_accumulation_steps", Int(&A::gradient_accumulation_steps, 1)},
      {"learning_rate", Number(&A::learning_rate, 0, false)},
      {"weight_decay", Number(&A::weight_decay, 0, true)},
      {"adam_beta1", Number(&A::adam_beta1, 0, true)},
      {"adam_beta2", Number(&A::adam_beta2, 0, true)},
      {"adam_epsilon", Number(&A::adam_epsilon, 0, false)},
      {"max_grad_norm", Number(&A::max_grad_norm, 0, true)},
      {"optim", [](const std::string& key, const nlohmann::json& v, A& a) -> Status {
         KNOB_RETURN_IF_ERROR(ReadString(key, v, &a.optim));
         if (a.optim == "adamw_torch" || a.optim == "adamw_torch_fused") a.optim = "adamw";
         if (a.optim != "adamw" && a.optim != "adam" && a.optim != "sgd")
           return KeyError(key, "expected adamw, adam or sgd, got '" + a.optim + "'");
         return {};
       }},
      {"sgd_momentum", Number(&A::sgd_momentum, 0, true)},
      {"sgd_nesterov", Bool(&A::sgd_nesterov)},
      {"lr_scheduler_type", [](const std::string& key, const nlohmann::json& v, A& a) -> Status {
         std::string name;
         KNOB_RETURN_IF_ERROR(ReadString(key, v, &name));
         auto type = ParseLrScheduleType(name);
         if (!type.ok()) return KeyError(key, type.error().message.substr(type.error().message.find(": ") + 2));
         a.lr_scheduler_type = *type;
         return {};
       }},
      {"warmup_steps", Int(&A::warmup_steps, 0)},
      {"warmup_ratio", Number(&A::warmup_ratio, 0, true)},
      {"eval_strategy", [](const std::string& key, const nlohmann::json& v, A& a) { return ReadStrategy(key, v, false, &a.eval_strategy); }},
      {"eval_steps", OptionalInt(&A::eval_steps, 1)},
      {"save_strategy", [](const std::string& key, const nlohmann::json& v, A& a) { return ReadStrategy(key, v, true, &a.save_strategy); }},
      {"save_steps", Int(&A::save_steps, 1)},
      {"save_total_limit", OptionalInt(&A::save_total_limit, 1)},
      {"load_best_model_at_end", Bool(&A::load_best_model_at_end)},
      {"metric_for_best_model", [](const std::string& key, const nlohmann::json& v, A& a) -> Status {
         KNOB_RETURN_IF_ERROR(ReadString(key, v, &a.metric_for_best_model));
         std::string name = a.EvalMetricName();
         if (name != "eval_loss" && name != "eval_accuracy" && name != "eval_f1")
           return KeyError(key, "'" + a.metric_for_best_model +
                                   "' is not a metric knob-train computes (loss, accuracy, f1)");
         return {};
       }},
      {"greater_is_better", [](const std::string& key, const nlohmann::json& v, A& a) -> Status {
         if (v.is_null()) return a.greater_is_better.reset(), Status();
         bool value = false;
         KNOB_RETURN_IF_ERROR(ReadBool(key, v, &value));
         a.greater_is_better = value;
         return {};
       }},
      {"logging_steps", Int(&A::logging_steps, 1)},
      {"seed", Int(&A::seed, 0)},
      {"bf16", Bool(&A::bf16)},
      {"fp16", Bool(&A::fp16)},
      {"use_cpu", Bool(&A::use_cpu)},
      {"dataloader_num_workers", Int(&A::dataloader_num_workers, 0)},
      {"resume_from_checkpoint", [](const std::string& key, const nlohmann::json& v, A& a) -> Status {
         if (v.is_null() || v == false) return a.resume_from_checkpoint.clear(), Status();
         if (v == true) return a.resume_from_checkpoint = "last", Status();
         return ReadString(key, v, &a.resume_from_checkpoint);
       }},
      {"early_stopping_patience", OptionalInt(&A::early_stopping_patience, 1)},
      {"early_stopping_threshold", Number(&A::early_stopping_threshold, 0, true)},
      {"max_train_samples", OptionalInt(&A::max_train_samples, 1)},
      {"max_eval_samples", OptionalInt(&A::max_eval_samples, 1)},
      {"model", [](const std::string& key, const nlohmann::json& v, A& a) -> Status {
         if (!v.is_object()) return ExpectedValue(key, "an object", v);
         a.model = v;
         return {};
       }},
      {"dataset", [](const std::string& key, const nlohmann::json& v, A& a) -> Status {
         if (!v.is_object()) return ExpectedValue(key, "an object", v);
         a.dataset = v;
         return {};
       }},
  };
  return readers;
}

}  // namespace

std::string TrainingArguments::EvalMetricName() const {
  std::string metric = metric_for_best_model.empty() ? "loss" : metric_for_best_model;
  return metric.rfind("eval_", 0) == 0 ? metric : "eval_" + metric;
}

bool TrainingArguments::GreaterIsBetter() const {
  if (greater_is_better) return *greater_is_better;
  std::string metric = EvalMetricName();
  return !(metric.size() >= 4 && metric.compare(metric.size() - 4, 4, "loss") == 0);
}

Result<nlohmann::json> ApplyOverrides(nlohmann::json config, const std::vector<std::string>& sets) {
  if (!config.is_object()) return Error::BadInput("a config must be a JSON object");
  return ApplyKeyOverrides(std::move(config), sets);
}

Result<TrainingArguments> ParseTrainingArguments(const nlohmann::json& config) {
  if (!config.is_object()) return Error::BadInput("a config must be a JSON object, got " + DumpJson(config));
  TrainingArguments a;
  const auto& readers = Readers();
  for (const auto& [key, value] : config.items()) {
    auto reader = readers.find(key);
    if (reader == readers.end()) return Error::BadInput("unknown key '" + key + "'");
    KNOB_RETURN_IF_ERROR(reader->second(key, value, a));
  }
  if (a.fp16 && a.bf16) return Error::BadInput("fp16 and bf16: choose one");
  if (a.warmup_ratio >= 1) return KeyError("warmup_ratio", "expected a number below 1");
  if (a.adam_beta1 >= 1 || a.adam_beta2 >= 1) return KeyError("adam_beta1/adam_beta2", "expected numbers below 1");
  if (a.load_best_model_at_end) {
    if (a.eval_strategy == IntervalStrategy::kNo)
      return KeyError("load_best_model_at_end", "needs an eval_strategy other than no");
    if (a.save_strategy != IntervalStrategy::kBest && a.save_strategy != a.eval_strategy)
      return KeyError("load_best_model_at_end", "needs save_strategy equal to eval_strategy (or best)");
    int64_t eval_steps = a.eval_steps.value_or(a.logging_steps);
    if (a.save_strategy == IntervalStrategy::kSteps && a.save_steps % eval_steps != 0)
      return KeyError("load_best_model_at_end", "needs save_steps (" + std::to_string(a.save_steps) +
                                                    ") to be a multiple of eval_steps (" +
                                                    std::to_string(eval_steps) + ")");
  }
  if (a.early_stopping_patience && a.eval_strategy == IntervalStrategy::kNo)
    return KeyError("early_stopping_patience", "needs an eval_strategy other than no");
  return a;
}

}  // namespace knob
