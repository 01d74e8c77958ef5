#include "trainer/training_run.h"

#include <ATen/Context.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/json_text.h"
#include "base/text_file.h"
#include "trainer/augment.h"
#include "trainer/autocast_guard.h"
#include "trainer/checkpoint.h"
#include "trainer/checkpoint_folders.h"
#include "trainer/data_parallel.h"
#include "trainer/dataset.h"
#include "trainer/evaluation.h"
#include "trainer/fused_mlp.h"
#include "trainer/event_file_writer.h"
#include "trainer/knob_client.h"
#include "trainer/lr_schedule.h"
#include "trainer/model_spec.h"
#include "trainer/models.h"
#include "trainer/optimizers.h"
#include "trainer/trainer_state.h"

namespace knob {
namespace fs = std::filesystem;
namespace {

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A view of host examples as tensors (no copy; `e` must outlive them).
SplitTensors HostTensors(Examples& e, int64_t dim) {
  return {torch::from_blob(e.features.data(), {e.count, dim}, torch::kFloat32),
          torch::from_blob(e.labels.data(), {e.count}, torch::kInt64)};
}

SplitTensors OnDevice(const SplitTensors& t, torch::Device device) {
  if (device.is_cpu()) return t;
  return {t.x.to(device), t.y.to(device)};
}

// {"PREFIX_loss": ..., "PREFIX_accuracy": ..., "PREFIX_f1": ...}
nlohmann::json MetricsJson(const std::string& prefix, const EvalMetrics& e) {
  return {{prefix + "_loss", e.loss}, {prefix + "_accuracy", e.accuracy}, {prefix + "_f1", e.f1}};
}

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string partial = path + ".partial";
  KNOB_RETURN_IF_ERROR(WriteTextFile(partial, text));
  std::error_code ec;
  fs::rename(partial, path, ec);
  if (ec) return Error::Runtime("cannot rename " + partial + ": " + ec.message());
  return {};
}

// The checks that need the model and dataset sections and the device; made
// before anything is written.
struct Plan {
  ModelSpec model;
  DataSpec data;
  torch::Device device = torch::kCPU;
  std::optional<torch::ScalarType> autocast;
  std::string resume_folder;
  WorldEnvironment world;  // this process's rank among the data-parallel ones
};

// How long a rank waits for the others: at the rendezvous, and in each collective.
constexpr double kCollectiveTimeoutSeconds = 1800;

Result<Plan> MakePlan(const TrainingArguments& a) {
  Plan plan;
  KNOB_ASSIGN_OR_RETURN(plan.model, ParseModelSpec(a.model));
  KNOB_ASSIGN_OR_RETURN(plan.data, ParseDataSpec(a.dataset));
  KNOB_ASSIGN_OR_RETURN(plan.world, ReadWorldEnvironment([](const char* name) { return std::getenv(name); }));
  // Each rank of a machine on a GPU of its own, when there are as many.
  if (!a.use_cpu && torch::cuda::is_available())
    plan.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(
                                                  plan.world.local_rank % std::max<size_t>(1, torch::cuda::device_count())));
  if (a.fp16 && plan.device.is_cpu()) return Error::BadInput("fp16: needs a CUDA device (bf16 runs on the CPU)");
  if (a.bf16 && plan.device.is_cpu() && plan.model.norm == "layer")
    return Error::BadInput("bf16: LibTorch's CPU autocast fails in layer norm; use model.norm batch or none");
  if (a.bf16) plan.autocast = torch::kBFloat16;
  if (a.fp16) plan.autocast = torch::kHalf;
  if (a.resume_from_checkpoint == "auto") {
    const char* resume_dir = std::getenv("KNOB_RESUME_DIR");
    const char* trial_dir = std::getenv("KNOB_TRIAL_DIR");
    plan.resume_folder = AutoResumeFolder(a.output_dir, resume_dir ? resume_dir : "", trial_dir ? trial_dir : "");
  } else if (!a.resume_from_checkpoint.empty()) {
    KNOB_ASSIGN_OR_RETURN(plan.resume_folder, ResolveResumeFolder(a.output_dir, a.resume_from_checkpoint));
  }
  return plan;
}

class Run {
 public:
  Run(const TrainingArguments& a, const nlohmann::json& config, Plan plan, Dataset data, DataParallelGroup& group,
      const volatile std::sig_atomic_t& stop_requested)
      : a_(a), config_(config), plan_(std::move(plan)), data_(std::move(data)), group_(group),
        stop_requested_(stop_requested), knob_(KnobClient::FromEnvironment()) {}

  Status Start() {
    torch::manual_seed(a_.seed);
    // cuDNN picks the fastest convolution for the (fixed) batch shape.
    if (plan_.device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
    ImageShape shape{data_.channels, data_.height, data_.width};
    KNOB_ASSIGN_OR_RETURN(net_, BuildModel(plan_.model, shape, data_.num_classes));
    net_->to(plan_.device);
    // Rank 0 alone writes the output folder; the others only read checkpoints.
    if (group_.is_main()) {
      std::error_code ec;
      fs::create_directories(a_.output_dir, ec);
      if (ec) return Error::BadInput("output_dir: cannot create '" + a_.output_dir + "': " + ec.message());
      RemovePartialCheckpoints(a_.output_dir);
    }
    optimizer_ = MakeOptimizer(a_, *net_);
    fused_mlp_ = FusedMlp::ForModel(plan_.model, net_, plan_.device, plan_.autocast);
    if (!plan_.resume_folder.empty()) {
      KNOB_ASSIGN_OR_RETURN(state_, LoadCheckpoint(plan_.resume_folder, {*net_, *optimizer_}));
      if (state_.world_size != group_.size())
        return Error::BadInput("resume_from_checkpoint: " + plan_.resume_folder + " was written by " +
                               std::to_string(state_.world_size) + " data-parallel process(es) (WORLD_SIZE " +
                               std::to_string(state_.world_size) + "), this run has " + std::to_string(group_.size()) +
                               "; resume it with WORLD_SIZE " + std::to_string(state_.world_size));
      if (group_.is_main())
        std::printf("resumed from %s at step %lld\n", plan_.resume_folder.c_str(),
                    static_cast<long long>(state_.global_step));
    }
    state_.world_size = group_.size();
    // Every rank starts from rank 0's weights (and buffers), as DDP does.
    {
      torch::NoGradGuard no_grad;
      group_.BroadcastInPlace(net_->parameters());
      group_.BroadcastInPlace(net_->buffers());
    }
    if (group_.is_main()) {
      KNOB_ASSIGN_OR_RETURN(events_, EventFileWriter::Create(a_.output_dir + "/runs"));
      log_.open(a_.output_dir + "/log.jsonl", std::ios::app);
    }
    // Training data: on the device when it can stay there (CUDA, no augmentation),
    // else on the host (pinned for CUDA) and copied a batch at a time.
    const int64_t dim = data_.dim();
    train_host_ = HostTensors(data_.train, dim);
    train_on_device_ = !plan_.device.is_cpu() && plan_.data.resident && !plan_.data.augment.any();
    if (train_on_device_) train_ = OnDevice(train_host_, plan_.device);
    else if (!plan_.device.is_cpu()) train_ = {train_host_.x.pin_memory(), train_host_.y.pin_memory()};
    else train_ = train_host_;
    validation_ = OnDevice(HostTensors(data_.validation, dim), plan_.device);
    if (data_.test) test_ = OnDevice(HostTensors(*data_.test, dim), plan_.device);
    return {};
  }

  Status Train();

 private:
  // Examples order[begin, end) on the device; `draw` numbers the micro-batch in the
  // whole run (its augmentation is drawn from it).
  torch::Tensor Batch(const torch::Tensor& order, int64_t begin, int64_t end, int64_t draw, torch::Tensor* labels);
  void Log(nlohmann::json entry, int64_t step);
  // This rank's shard of `split` evaluated, the totals summed over the ranks.
  EvalMetrics EvaluateSplit(const SplitTensors& split);
  void Evaluate();
  Status Save();
  Status Finish(double samples_per_second, double seconds);

  const TrainingArguments& a_;
  const nlohmann::json& config_;
  Plan plan_;
  Dataset data_;
  DataParallelGroup& group_;
  const volatile std::sig_atomic_t& stop_requested_;
  KnobClient knob_;
  torch::nn::Sequential net_{nullptr};
  std::unique_ptr<TrainingOptimizer> optimizer_;
  std::unique_ptr<FusedMlp> fused_mlp_;  // the step without autograd, for models that qualify
  std::unique_ptr<EventFileWriter> events_;  // rank 0's
  std::ofstream log_;
  TrainerState state_;
  SplitTensors train_host_, train_, validation_;
  std::optional<SplitTensors> test_;
  bool train_on_device_ = false;
  int64_t updates_per_epoch_ = 0;
  int64_t new_best_step_ = -1;  // the step whose evaluation set the best metric, until saved
  int64_t last_eval_step_ = -1;
  EvalMetrics last_eval_;  // of the model at last_eval_step_
  bool stop_ = false, pruned_ = false;
};

torch::Tensor Run::Batch(const torch::Tensor& order, int64_t begin, int64_t end, int64_t draw, torch::Tensor* labels) {
  torch::Tensor idx = order.slice(0, begin, end);
  torch::Tensor x = train_.x.index_select(0, idx);
  *labels = train_.y.index_select(0, idx);
  if (plan_.data.augment.any())
    AugmentBatch(x.data_ptr<float>(), x.size(0), {data_.channels, data_.height, data_.width}, plan_.data.augment,
                 static_cast<uint64_t>(a_.seed), draw);
  if (!train_on_device_ && !plan_.device.is_cpu()) {
    x = x.pin_memory().to(plan_.device, /*non_blocking=*/true);
    *labels = labels->pin_memory().to(plan_.device, /*non_blocking=*/true);
  }
  return x;
}

// HF's log entries: one JSON line on stdout and in output_dir/log.jsonl, the
// trainer state's log history, TensorBoard scalars under train/ and eval/.
void Run::Log(nlohmann::json entry, int64_t step) {
  entry["step"] = step;
  if (!group_.is_main()) {
    state_.log_history.push_back(std::move(entry));  // the same state on every rank
    return;
  }
  const double wall = WallSeconds();
  for (const auto& [key, value] : entry.items()) {
    if (!value.is_number() || key == "step") continue;
    std::string tag = key.rfind("eval_", 0) == 0 ? "eval/" + key.substr(5) : "train/" + key;
    (void)events_->AddScalar(tag, step, value.get<float>(), wall);
  }
  std::string line = DumpJson(entry);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  log_ << line << "\n" << std::flush;
  state_.log_history.push_back(std::move(entry));
}

EvalMetrics Run::EvaluateSplit(const SplitTensors& split) {
  const int64_t n = split.x.size(0), rank = group_.rank(), world = group_.size();
  // Batch norm's running statistics are each rank's own while training; every rank
  // evaluates with rank 0's (those its checkpoints keep), as DDP's broadcast_buffers.
  if (world > 1) {
    torch::NoGradGuard no_grad;
    group_.BroadcastInPlace(net_->buffers());
  }
  SplitTensors shard{split.x.slice(0, rank * n / world, (rank + 1) * n / world),
                     split.y.slice(0, rank * n / world, (rank + 1) * n / world)};
  EvalTotals totals = EvaluateTotals(net_, shard, a_.per_device_eval_batch_size, data_.num_classes, plan_.autocast);
  if (world == 1) return MetricsOf(totals);
  torch::Tensor packed = totals.Pack().to(plan_.device);
  group_.SumInPlace(packed);
  return MetricsOf(EvalTotals::Unpack(packed, data_.num_classes));
}

void Run::Evaluate() {
  const int64_t step = state_.global_step;
  last_eval_step_ = step;
  last_eval_ = EvaluateSplit(validation_);
  nlohmann::json metrics = MetricsJson("eval", last_eval_);
  metrics["epoch"] = state_.epoch;
  Log(metrics, step);
  const double value = metrics[a_.EvalMetricName()].get<double>();
  const bool greater = a_.GreaterIsBetter();
  const std::optional<double>& best = state_.best_metric;
  bool beyond_threshold = !best || (greater ? value > *best + a_.early_stopping_threshold
                                            : value < *best - a_.early_stopping_threshold);
  if (!best || (greater ? value > *best : value < *best)) {
    state_.best_metric = value;
    new_best_step_ = step;
  }
  state_.evals_without_improvement = beyond_threshold ? 0 : state_.evals_without_improvement + 1;
  if (a_.early_stopping_patience && state_.evals_without_improvement >= *a_.early_stopping_patience) {
    std::printf("early stopping at step %lld: %d evaluations without improvement\n", static_cast<long long>(step),
                state_.evals_without_improvement);
    stop_ = true;
  }
  // Rank 0 asks knob; every rank hears its answer.
  if (group_.Any(group_.is_main() && knob_.Report(step, value, metrics))) stop_ = pruned_ = true;
}

Status Run::Save() {
  if (new_best_step_ == state_.global_step) state_.best_model_checkpoint = CheckpointFolder(a_.output_dir, state_.global_step);
  new_best_step_ = -1;
  if (!group_.is_main()) return {};
  return SaveCheckpoint(a_.output_dir, {*net_, *optimizer_}, state_, config_, a_.save_total_limit);
}

Status Run::Train() {
  const int64_t n = train_.x.size(0), batch = a_.per_device_train_batch_size, accumulation = a_.gradient_accumulation_steps;
  // HF's global batch: per_device_train_batch_size x world size (x accumulation).
  // Micro-batch i of an epoch is order[i G, (i + 1) G); rank r takes its r-th
  // `batch` rows, and its loss counts by its share of the micro-batch, so that the
  // summed gradients are those of the whole micro-batch on one process.
  const int64_t world = group_.size(), rank = group_.rank(), global_batch = batch * world;
  const int64_t micro_per_epoch = (n + global_batch - 1) / global_batch;
  updates_per_epoch_ = (micro_per_epoch + accumulation - 1) / accumulation;
  const int64_t total = a_.max_steps > 0 ? a_.max_steps
                                         : static_cast<int64_t>(std::ceil(a_.num_train_epochs * updates_per_epoch_));
  state_.max_steps = total;
  const LrSchedule schedule{a_.lr_scheduler_type, WarmupSteps(a_.warmup_steps, a_.warmup_ratio, total), total};
  const int64_t eval_steps = a_.eval_steps.value_or(a_.logging_steps);
  const bool fp16 = plan_.autocast == torch::kHalf;
  const auto start = std::chrono::steady_clock::now();
  const int64_t samples_at_start = state_.samples_seen;
  // Micro-batch losses summed on the device, read into the state only when logged
  // or saved (one synchronisation then, none per step).
  torch::Tensor window_loss = torch::zeros({1}, torch::TensorOptions().dtype(torch::kFloat64).device(plan_.device));
  auto fold_window_loss = [&] {
    group_.SumInPlace(window_loss);
    state_.running_loss += window_loss.item<double>();
    window_loss.zero_();
  };
  auto sum_over_ranks = [&](torch::Tensor& t) { group_.SumInPlace(t); };
  net_->train();

  for (int64_t epoch = state_.global_step / updates_per_epoch_; !stop_ && state_.global_step < total; ++epoch) {
    std::vector<int64_t> order_vector = EpochOrder(n, static_cast<uint64_t>(a_.seed), epoch);
    torch::Tensor order = torch::from_blob(order_vector.data(), {n}, torch::kInt64);
    if (train_on_device_) order = order.to(plan_.device);
    const int64_t first_micro = (state_.global_step - epoch * updates_per_epoch_) * accumulation;
    for (int64_t micro = first_micro; micro < micro_per_epoch && !stop_ && state_.global_step < total; ++micro) {
      const int64_t window_start = micro / accumulation * accumulation;
      const int64_t in_window = std::min(accumulation, micro_per_epoch - window_start);
      // Dropout draws from a generator seeded by (seed, step, rank): a resumed run draws the same.
      if (micro == window_start)
        torch::manual_seed((static_cast<uint64_t>(a_.seed) * 1000003u + state_.global_step) * world + rank);
      const int64_t global_begin = micro * global_batch, global_end = std::min(n, global_begin + global_batch);
      const int64_t begin = std::min(global_end, global_begin + rank * batch), end = std::min(global_end, begin + batch);
      const double share = static_cast<double>(end - begin) / static_cast<double>(global_end - global_begin);
      if (end > begin) {
        torch::Tensor labels;
        torch::Tensor x = Batch(order, begin, end, (epoch * micro_per_epoch + micro) * world + rank, &labels);
        const double loss_scale = (fp16 ? state_.loss_scale.scale : 1.0) * share / static_cast<double>(in_window);
        torch::Tensor loss;
        if (fused_mlp_) {
          loss = fused_mlp_->LossAndGradients(x, labels, loss_scale);
        } else {
          torch::Tensor logits;
          {
            AutocastGuard guard(plan_.device.type(), plan_.autocast);
            logits = net_->forward(x);
          }
          loss = torch::nn::functional::cross_entropy(logits.to(torch::kFloat32), labels);
          (loss * loss_scale).backward();
        }
        window_loss += loss.detach() * share;
      }
      ++state_.logged_micro;
      state_.samples_seen += global_end - global_begin;
      if (micro + 1 != window_start + in_window) continue;

      // One all-reduce: the gradients, and whether a rank was asked to stop (so
      // that all stop at the same step).
      const bool stop_signal =
          world > 1 && optimizer_->ExchangeGradients(sum_over_ranks, stop_requested_ != 0 ? 1.0 : 0.0) > 0;

      const double unscale = fp16 ? 1.0 / state_.loss_scale.scale : 1.0;
      const bool need_norm = a_.max_grad_norm > 0 || fp16;
      const double grad_norm = need_norm ? optimizer_->GradNorm(unscale) : 0;
      const bool apply = !fp16 || state_.loss_scale.Update(std::isfinite(grad_norm));
      const double clip = ClipScale(grad_norm, a_.max_grad_norm);
      const double lr = a_.learning_rate * schedule.Multiplier(state_.global_step);
      if (apply) optimizer_->Step(lr, unscale * clip);
      else optimizer_->ZeroGrad();
      ++state_.global_step;
      state_.epoch = static_cast<double>(state_.global_step) / static_cast<double>(updates_per_epoch_);
      const bool epoch_end = state_.global_step % updates_per_epoch_ == 0;

      if (state_.global_step % a_.logging_steps == 0) {
        fold_window_loss();
        // As HF: the learning rate the scheduler now gives (that of the next step).
        nlohmann::json entry = {{"loss", state_.running_loss / static_cast<double>(state_.logged_micro)},
                                {"learning_rate", a_.learning_rate * schedule.Multiplier(state_.global_step)},
                                {"epoch", state_.epoch}};
        if (need_norm) entry["grad_norm"] = grad_norm;
        Log(std::move(entry), state_.global_step);
        state_.running_loss = 0, state_.logged_micro = 0;
      }
      if ((a_.eval_strategy == IntervalStrategy::kSteps && state_.global_step % eval_steps == 0) ||
          (a_.eval_strategy == IntervalStrategy::kEpoch && epoch_end))
        Evaluate();
      const bool save = (a_.save_strategy == IntervalStrategy::kSteps && state_.global_step % a_.save_steps == 0) ||
                        (a_.save_strategy == IntervalStrategy::kEpoch && epoch_end) ||
                        (a_.save_strategy == IntervalStrategy::kBest && new_best_step_ == state_.global_step);
      const bool stopping = (world > 1 ? stop_signal : stop_requested_ != 0) && !pruned_;
      if (save || stopping) {
        fold_window_loss();
        KNOB_RETURN_IF_ERROR(Save());
      }
      if (stopping) {
        if (group_.is_main())
          std::printf("stopped by a signal at step %lld; checkpoint saved in %s\n",
                    static_cast<long long>(state_.global_step),
                    CheckpointFolder(a_.output_dir, state_.global_step).c_str());
        return {};
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (pruned_) {
    if (group_.is_main()) std::printf("pruned by knob at step %lld\n", static_cast<long long>(state_.global_step));
    return {};
  }
  if (last_eval_step_ != state_.global_step) Evaluate();
  return Finish(seconds > 0 ? static_cast<double>(state_.samples_seen - samples_at_start) / seconds : 0.0, seconds);
}

Status Run::Finish(double samples_per_second, double seconds) {
  // The last evaluation (at this step) describes the final model, unless the best one is reloaded.
  EvalMetrics kept = last_eval_;
  if (a_.load_best_model_at_end && !state_.best_model_checkpoint.empty()) {
    group_.Barrier();  // rank 0 has written it
    KNOB_RETURN_IF_ERROR(LoadModelWeights(*net_, state_.best_model_checkpoint + "/model.pt"));
    kept = EvaluateSplit(validation_);
  }
  nlohmann::json metrics = MetricsJson("eval", kept);
  if (test_) metrics.update(MetricsJson("test", EvaluateSplit(*test_)));
  if (!group_.is_main()) return {};
  metrics.update({{"epoch", state_.epoch}, {"global_step", state_.global_step}, {"train_runtime", seconds},
                  {"train_samples_per_second", samples_per_second},
                  {"best_metric", state_.best_metric ? nlohmann::json(*state_.best_metric) : nlohmann::json()},
                  {"device", plan_.device.str()}, {"world_size", group_.size()}});
  KNOB_RETURN_IF_ERROR(SaveModelWeights(*net_, a_.output_dir + "/model.pt"));
  KNOB_RETURN_IF_ERROR(WriteFileAtomically(a_.output_dir + "/metrics.json", metrics.dump(2) + "\n"));
  std::printf("%s\n", DumpJson(metrics).c_str());
  knob_.Result(metrics[a_.EvalMetricName()].get<double>(), metrics);
  return {};
}

}  // namespace

Status RunTraining(const TrainingArguments& args, const nlohmann::json& config,
                   const volatile std::sig_atomic_t& stop_requested) {
  KNOB_ASSIGN_OR_RETURN(Plan plan, MakePlan(args));
  KNOB_ASSIGN_OR_RETURN(Dataset data, LoadDataset(plan.data, static_cast<uint64_t>(args.seed), args.max_train_samples,
                                                   args.max_eval_samples));
  KNOB_ASSIGN_OR_RETURN(auto group, DataParallelGroup::Join(plan.world, plan.device, kCollectiveTimeoutSeconds));
  Run run(args, config, std::move(plan), std::move(data), *group, stop_requested);
  KNOB_RETURN_IF_ERROR(run.Start());
  return run.Train();
}

}  // namespace knob
