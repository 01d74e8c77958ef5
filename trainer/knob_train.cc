// knob-train: trains a model on an image dataset with the Hugging Face Trainer's
// contract (TrainingArguments names and defaults), reporting each evaluation to
// knob and stopping when pruned.
//   knob-train --config train.json [--set key=value ...]
// This first version: MLP models on IDX data (Fashion-MNIST), AdamW (fused over
// flat parameter storage) / Adam / SGD with HF's weight-decay groups, every HF schedule, gradient accumulation and
// clipping, eval by steps or epochs, early stopping, best-model reload,
// TensorBoard scalars and output_dir/metrics.json. Checkpoints and resume, CNNs,
// mixed precision and CUDA come next (issue 5).
#include <torch/torch.h>

#include <malloc.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json_text.h"
#include "base/result.h"
#include "trainer/event_file_writer.h"
#include "trainer/flat_adamw.h"
#include "trainer/idx_dataset.h"
#include "trainer/knob_client.h"
#include "trainer/lr_schedule.h"
#include "trainer/training_arguments.h"

namespace knob {
namespace {

struct Tensors {
  torch::Tensor x, y;
};

struct MlpSpec {
  std::vector<int64_t> hidden = {256, 128};
  std::string activation = "relu";
  double dropout = 0.1;
};

struct DataSpec {
  std::string path = kFashionMnistDir;
  int64_t validation_size = 5000;
};

Result<MlpSpec> ParseModel(const nlohmann::json& m) {
  MlpSpec spec;
  for (const auto& [key, v] : m.items()) {
    if (key == "type") {
      if (v != "mlp") return Error::BadInput("model.type: expected mlp, got " + v.dump());
    } else if (key == "hidden") {
      if (!v.is_array() || v.empty()) return Error::BadInput("model.hidden: expected a list of widths, got " + v.dump());
      spec.hidden.clear();
      for (const auto& w : v) {
        if (!w.is_number_integer() || w.get<int64_t>() < 1)
          return Error::BadInput("model.hidden: widths are integers >= 1, got " + w.dump());
        spec.hidden.push_back(w.get<int64_t>());
      }
    } else if (key == "activation") {
      if (v != "relu" && v != "gelu" && v != "tanh")
        return Error::BadInput("model.activation: expected relu, gelu or tanh, got " + v.dump());
      spec.activation = v.get<std::string>();
    } else if (key == "dropout") {
      if (!v.is_number() || v.get<double>() < 0 || v.get<double>() >= 1)
        return Error::BadInput("model.dropout: expected a number in [0, 1), got " + v.dump());
      spec.dropout = v.get<double>();
    } else {
      return Error::BadInput("unknown key 'model." + key + "'");
    }
  }
  return spec;
}

Result<DataSpec> ParseDataset(const nlohmann::json& d) {
  DataSpec spec;
  for (const auto& [key, v] : d.items()) {
    if (key == "name") {
      if (v != "fashion-mnist" && v != "mnist" && v != "idx")
        return Error::BadInput("dataset.name: expected fashion-mnist, mnist or idx, got " + v.dump());
    } else if (key == "path") {
      if (!v.is_string()) return Error::BadInput("dataset.path: expected a folder, got " + v.dump());
      spec.path = v.get<std::string>();
    } else if (key == "validation_size") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1)
        return Error::BadInput("dataset.validation_size: expected an integer >= 1, got " + v.dump());
      spec.validation_size = v.get<int64_t>();
    } else {
      return Error::BadInput("unknown key 'dataset." + key + "'");
    }
  }
  return spec;
}

torch::nn::Sequential BuildMlp(const MlpSpec& spec, int64_t inputs, int64_t classes) {
  torch::nn::Sequential net;
  int64_t width = inputs;
  for (int64_t h : spec.hidden) {
    net->push_back(torch::nn::Linear(width, h));
    if (spec.activation == "gelu") net->push_back(torch::nn::GELU());
    else if (spec.activation == "tanh") net->push_back(torch::nn::Tanh());
    else net->push_back(torch::nn::ReLU());
    if (spec.dropout > 0) net->push_back(torch::nn::Dropout(spec.dropout));
    width = h;
  }
  net->push_back(torch::nn::Linear(width, classes));
  return net;
}

Tensors ToTensors(const ImageSet& set, const std::vector<int64_t>& indices, float mean, float stddev) {
  const int64_t n = static_cast<int64_t>(indices.size()), d = int64_t{set.rows} * set.cols;
  torch::Tensor x = torch::empty({n, d}, torch::kFloat32), y = torch::empty({n}, torch::kInt64);
  float* xp = x.data_ptr<float>();
  int64_t* yp = y.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* pixels = set.pixels.data() + indices[i] * d;
    for (int64_t k = 0; k < d; ++k) xp[i * d + k] = (pixels[k] / 255.0f - mean) / stddev;
    yp[i] = set.labels[indices[i]];
  }
  return {x, y};
}

std::vector<int64_t> FirstN(int64_t count, std::optional<int64_t> limit) {
  std::vector<int64_t> all(static_cast<size_t>(limit ? std::min(count, *limit) : count));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  return all;
}

struct Evaluation {
  double loss = 0, accuracy = 0;
};

Evaluation Evaluate(torch::nn::Sequential& net, const Tensors& data, int batch) {
  torch::NoGradGuard no_grad;
  net->eval();
  double loss = 0;
  int64_t correct = 0, n = data.x.size(0);
  for (int64_t start = 0; start < n; start += batch) {
    int64_t end = std::min(n, start + batch);
    auto logits = net->forward(data.x.slice(0, start, end));
    auto labels = data.y.slice(0, start, end);
    loss += torch::nn::functional::cross_entropy(
                logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                .item<double>();
    correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
  }
  net->train();
  return {loss / n, static_cast<double>(correct) / n};
}

// HF's parameter groups: weight decay on weight matrices, none on biases (and norms).
struct DecayGroups {
  std::vector<torch::Tensor> decay, no_decay;
};

DecayGroups SplitForWeightDecay(torch::nn::Sequential& net) {
  DecayGroups groups;
  for (auto& p : net->named_parameters())
    (p.value().dim() >= 2 ? groups.decay : groups.no_decay).push_back(p.value());
  return groups;
}

// Adam and SGD run on LibTorch's optimizers (AdamW runs on FlatAdamW).
std::unique_ptr<torch::optim::Optimizer> MakeTorchOptimizer(const TrainingArguments& a, const DecayGroups& split) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (a.optim == "sgd") {
    auto options = [&](double wd) {
      return std::make_unique<torch::optim::SGDOptions>(
          torch::optim::SGDOptions(a.learning_rate).momentum(a.sgd_momentum).nesterov(a.sgd_nesterov).weight_decay(wd));
    };
    groups.emplace_back(split.decay, options(a.weight_decay));
    groups.emplace_back(split.no_decay, options(0));
    return std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(a.learning_rate));
  }
  auto options = [&](double wd) {
    return std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(a.learning_rate)
        .betas({a.adam_beta1, a.adam_beta2}).eps(a.adam_epsilon).weight_decay(wd));
  };
  groups.emplace_back(split.decay, options(a.weight_decay));
  groups.emplace_back(split.no_decay, options(0));
  return std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(a.learning_rate));
}

void SetLearningRate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

Result<TrainingArguments> LoadArguments(int argc, char** argv) {
  std::string config_path;
  std::vector<std::string> sets;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) config_path = argv[++i];
    else if (arg == "--set" && i + 1 < argc) sets.push_back(argv[++i]);
    else return Error::BadInput("unexpected argument '" + arg + "' (usage: knob-train --config FILE [--set key=value ...])");
  }
  if (config_path.empty()) return Error::BadInput("usage: knob-train --config FILE [--set key=value ...]");
  std::ifstream in(config_path);
  if (!in) return Error::BadInput("cannot read config '" + config_path + "'");
  std::stringstream text;
  text << in.rdbuf();
  KNOB_ASSIGN_OR_RETURN(nlohmann::json config, ParseJsonText(config_path, text.str()));
  KNOB_ASSIGN_OR_RETURN(config, ApplyOverrides(std::move(config), sets));
  return ParseTrainingArguments(config);
}

Status Train(const TrainingArguments& a) {
  KNOB_ASSIGN_OR_RETURN(MlpSpec model_spec, ParseModel(a.model));
  KNOB_ASSIGN_OR_RETURN(DataSpec data_spec, ParseDataset(a.dataset));
  if (a.bf16 || a.fp16) return Error::BadInput("bf16/fp16: this knob-train runs in fp32 on CPU only (yet)");
  KNOB_ASSIGN_OR_RETURN(ImageSet train_set, LoadIdxImageSet(data_spec.path, "train"));
  KNOB_ASSIGN_OR_RETURN(ImageSet test_set, LoadIdxImageSet(data_spec.path, "t10k"));
  if (data_spec.validation_size >= train_set.count)
    return Error::BadInput("dataset.validation_size: must be below the " + std::to_string(train_set.count) +
                           " training images");
  std::error_code ec;
  std::filesystem::create_directories(a.output_dir, ec);
  if (ec) return Error::BadInput("output_dir: cannot create '" + a.output_dir + "': " + ec.message());

  torch::manual_seed(a.seed);
  SplitIndices split = SplitTrainValidation(train_set.count, data_spec.validation_size, a.seed);
  if (a.max_train_samples && *a.max_train_samples < static_cast<int64_t>(split.train.size()))
    split.train.resize(*a.max_train_samples);
  if (a.max_eval_samples && *a.max_eval_samples < static_cast<int64_t>(split.validation.size()))
    split.validation.resize(*a.max_eval_samples);
  // Normalisation from the training images.
  double sum = 0, sum_sq = 0;
  const int64_t d = int64_t{train_set.rows} * train_set.cols;
  for (int64_t i : split.train)
    for (int64_t k = 0; k < d; ++k) {
      double v = train_set.pixels[i * d + k] / 255.0;
      sum += v, sum_sq += v * v;
    }
  double count = static_cast<double>(split.train.size()) * d;
  float mean = static_cast<float>(sum / count);
  float stddev = static_cast<float>(std::sqrt(std::max(1e-12, sum_sq / count - (sum / count) * (sum / count))));
  Tensors train = ToTensors(train_set, split.train, mean, stddev);
  Tensors validation = ToTensors(train_set, split.validation, mean, stddev);
  Tensors test = ToTensors(test_set, FirstN(test_set.count, a.max_eval_samples), mean, stddev);

  torch::nn::Sequential net = BuildMlp(model_spec, d, train_set.num_classes);
  // AdamW (the default) runs on flat buffers; Adam and SGD use LibTorch's optimizers.
  DecayGroups split_groups = SplitForWeightDecay(net);
  std::unique_ptr<FlatAdamW> flat;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (a.optim == "adamw")
    flat = std::make_unique<FlatAdamW>(split_groups.decay, split_groups.no_decay,
                                       FlatAdamW::Options{a.adam_beta1, a.adam_beta2, a.adam_epsilon, a.weight_decay});
  else
    optimizer = MakeTorchOptimizer(a, split_groups);
  const int64_t n = train.x.size(0), batch = a.per_device_train_batch_size;
  const int64_t micro_per_epoch = (n + batch - 1) / batch;
  const int64_t updates_per_epoch = (micro_per_epoch + a.gradient_accumulation_steps - 1) / a.gradient_accumulation_steps;
  const int64_t total = a.max_steps > 0 ? a.max_steps
                                        : static_cast<int64_t>(std::ceil(a.num_train_epochs * updates_per_epoch));
  LrSchedule schedule{a.lr_scheduler_type, WarmupSteps(a.warmup_steps, a.warmup_ratio, total), total};
  const int64_t eval_steps = a.eval_steps.value_or(a.logging_steps);
  KNOB_ASSIGN_OR_RETURN(auto events, EventFileWriter::Create(a.output_dir + "/runs"));
  KnobClient knob = KnobClient::FromEnvironment();

  const std::string metric = a.EvalMetricName();
  const bool greater = a.GreaterIsBetter();
  std::optional<double> best;
  std::vector<torch::Tensor> best_weights;
  int evals_without_improvement = 0;
  nlohmann::json last_eval;
  bool stop = false, pruned = false;
  int64_t step = 0, samples = 0;
  auto wall = [] {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  };
  auto start = std::chrono::steady_clock::now();

  auto evaluate = [&](double epoch) {
    Evaluation e = Evaluate(net, validation, a.per_device_eval_batch_size);
    last_eval = {{"eval_loss", e.loss}, {"eval_accuracy", e.accuracy}, {"epoch", epoch}, {"step", step}};
    (void)events->AddScalar("eval/loss", step, static_cast<float>(e.loss), wall());
    (void)events->AddScalar("eval/accuracy", step, static_cast<float>(e.accuracy), wall());
    std::printf("%s\n", DumpJson(last_eval).c_str());
    std::fflush(stdout);
    if (!last_eval.contains(metric)) return;
    double value = last_eval[metric].get<double>();
    bool improved = !best || (greater ? value > *best + a.early_stopping_threshold
                                      : value < *best - a.early_stopping_threshold);
    if (!best || (greater ? value > *best : value < *best)) {
      best = value;
      if (a.load_best_model_at_end) {
        best_weights.clear();
        for (const auto& p : net->parameters()) best_weights.push_back(p.detach().clone());
      }
    }
    evals_without_improvement = improved ? 0 : evals_without_improvement + 1;
    if (a.early_stopping_patience && evals_without_improvement >= *a.early_stopping_patience) stop = true;
    if (knob.Report(step, value, last_eval)) stop = pruned = true;
  };

  double running_loss = 0;
  int64_t logged_micro = 0;
  net->train();
  for (int64_t epoch = 0; !stop && step < total; ++epoch) {
    torch::Tensor order = torch::randperm(n, torch::kInt64);
    for (int64_t micro = 0; micro < micro_per_epoch && !stop && step < total; ++micro) {
      torch::Tensor idx = order.slice(0, micro * batch, std::min(n, (micro + 1) * batch));
      int64_t window_start = micro / a.gradient_accumulation_steps * a.gradient_accumulation_steps;
      int64_t in_window = std::min<int64_t>(a.gradient_accumulation_steps, micro_per_epoch - window_start);
      torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(train.x.index_select(0, idx)),
                                                                train.y.index_select(0, idx));
      (loss / static_cast<double>(in_window)).backward();
      running_loss += loss.item<double>();
      ++logged_micro;
      samples += idx.size(0);
      if ((micro + 1) % a.gradient_accumulation_steps != 0 && micro + 1 != micro_per_epoch) continue;
      double lr = a.learning_rate * schedule.Multiplier(step);
      if (flat) {
        double norm = a.max_grad_norm > 0 ? flat->GradNorm() : 0;
        flat->Step(lr, a.max_grad_norm > 0 && norm > a.max_grad_norm ? a.max_grad_norm / (norm + 1e-6) : 1.0);
      } else {
        if (a.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(net->parameters(), a.max_grad_norm);
        SetLearningRate(*optimizer, lr);
        optimizer->step();
        optimizer->zero_grad();
      }
      ++step;
      if (step % a.logging_steps == 0) {
        (void)events->AddScalar("train/loss", step, static_cast<float>(running_loss / logged_micro), wall());
        (void)events->AddScalar("train/learning_rate", step, static_cast<float>(lr), wall());
        running_loss = 0, logged_micro = 0;
      }
      if (a.eval_strategy == IntervalStrategy::kSteps && step % eval_steps == 0)
        evaluate(static_cast<double>(step) / updates_per_epoch);
    }
    if (!stop && a.eval_strategy == IntervalStrategy::kEpoch) evaluate(static_cast<double>(epoch + 1));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (pruned) {
    std::printf("pruned by knob at step %lld\n", static_cast<long long>(step));
    return {};
  }
  if (last_eval.is_null() || last_eval.value("step", int64_t{-1}) != step) evaluate(static_cast<double>(step) / updates_per_epoch);
  if (a.load_best_model_at_end && !best_weights.empty()) {
    torch::NoGradGuard no_grad;
    auto params = net->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(best_weights[i]);
  }
  Evaluation kept = Evaluate(net, validation, a.per_device_eval_batch_size);
  Evaluation tested = Evaluate(net, test, a.per_device_eval_batch_size);
  nlohmann::json metrics = {{"eval_loss", kept.loss}, {"eval_accuracy", kept.accuracy},
                            {"test_loss", tested.loss}, {"test_accuracy", tested.accuracy},
                            {"global_step", step}, {"train_runtime", seconds},
                            {"train_samples_per_second", samples / seconds}};
  std::ofstream(a.output_dir + "/metrics.json") << metrics.dump(2) << "\n";
  std::printf("%s\n", DumpJson(metrics).c_str());
  knob.Result(a.load_best_model_at_end && best ? *best : metrics.value(metric, kept.loss), metrics);
  return {};
}

}  // namespace
}  // namespace knob

int main(int argc, char** argv) {
  mallopt(M_TRIM_THRESHOLD, 1 << 30); mallopt(M_MMAP_THRESHOLD, 1 << 30);
  auto args = knob::LoadArguments(argc, argv);
  knob::Status status = args.ok() ? knob::Train(*args) : knob::Status(args.error());
  if (!status.ok()) {
    std::fprintf(stderr, "knob-train: %s\n", status.error().message.c_str());
    return status.error().ExitCode();
  }
  return 0;
}
