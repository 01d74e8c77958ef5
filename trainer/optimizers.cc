#include "trainer/optimizers.h"

#include <cmath>

#include "trainer/flat_adamw.h"

namespace knob {
namespace {

struct DecayGroups {
  std::vector<torch::Tensor> decay, no_decay;
};

// HF's groups: weight decay on weight matrices and kernels, none on biases and norms.
DecayGroups SplitForWeightDecay(torch::nn::Module& model) {
  DecayGroups groups;
  for (auto& p : model.parameters()) (p.dim() >= 2 ? groups.decay : groups.no_decay).push_back(p);
  return groups;
}

template <typename Body>
Status Guarded(const std::string& what, Body body) {
  try {
    body();
  } catch (const std::exception& e) {
    return Error::Runtime(what + ": " + e.what());
  }
  return {};
}

class FlatAdamWOptimizer : public TrainingOptimizer {
  static FlatAdamW MakeFlat(const TrainingArguments& a, torch::nn::Module& model) {
    DecayGroups split = SplitForWeightDecay(model);
    return FlatAdamW(split.decay, split.no_decay,
                     FlatAdamW::Options{a.adam_beta1, a.adam_beta2, a.adam_epsilon, a.weight_decay});
  }

 public:
  FlatAdamWOptimizer(const TrainingArguments& a, torch::nn::Module& model)
      : adamw_(MakeFlat(a, model)) {}
  double GradNorm(double grad_scale) override { return adamw_.GradNorm(grad_scale); }
  void Step(double lr, double grad_scale) override { adamw_.Step(lr, grad_scale); }
  void ZeroGrad() override { adamw_.ZeroGrad(); }
  double ExchangeGradients(const std::function<void(torch::Tensor&)>& sum_in_place, double control) override {
    torch::Tensor all = adamw_.FlatGradients();
    torch::Tensor control_slot = all.slice(0, all.numel() - 1);
    control_slot.fill_(control);
    sum_in_place(all);
    double summed = control_slot.item<double>();
    control_slot.zero_();
    return summed;
  }
  Status Save(const std::string& path) override {
    return Guarded("saving " + path, [&] {
      torch::serialize::OutputArchive archive;
      auto state = adamw_.State();
      for (size_t i = 0; i < state.size(); ++i) archive.write("moment." + std::to_string(i), state[i].cpu());
      archive.write("steps", c10::IValue(adamw_.steps()));
      archive.save_to(path);
    });
  }
  Status Load(const std::string& path) override {
    bool fits = false;
    Status read = Guarded("reading " + path, [&] {
      torch::serialize::InputArchive archive;
      archive.load_from(path);
      c10::IValue steps;
      archive.read("steps", steps);
      std::vector<torch::Tensor> state(adamw_.State().size());
      for (size_t i = 0; i < state.size(); ++i) archive.read("moment." + std::to_string(i), state[i]);
      fits = adamw_.LoadState(state, steps.toInt());
    });
    if (read.ok() && !fits) return Error::BadInput(path + ": the optimizer state does not fit this model");
    return read;
  }

 private:
  FlatAdamW adamw_;
};

class TorchOptimizer : public TrainingOptimizer {
 public:
  TorchOptimizer(const TrainingArguments& a, torch::nn::Module& model) : params_(model.parameters()) {
    DecayGroups split = SplitForWeightDecay(model);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (a.optim == "sgd") {
      auto options = [&](double wd) {
        return std::make_unique<torch::optim::SGDOptions>(torch::optim::SGDOptions(a.learning_rate)
            .momentum(a.sgd_momentum).nesterov(a.sgd_nesterov).weight_decay(wd));
      };
      groups.emplace_back(split.decay, options(a.weight_decay));
      groups.emplace_back(split.no_decay, options(0));
      optimizer_ = std::make_unique<torch::optim::SGD>(groups, torch::optim::SGDOptions(a.learning_rate));
    } else {
      auto options = [&](double wd) {
        return std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(a.learning_rate)
            .betas({a.adam_beta1, a.adam_beta2}).eps(a.adam_epsilon).weight_decay(wd));
      };
      groups.emplace_back(split.decay, options(a.weight_decay));
      groups.emplace_back(split.no_decay, options(0));
      optimizer_ = std::make_unique<torch::optim::Adam>(groups, torch::optim::AdamOptions(a.learning_rate));
    }
  }
  double GradNorm(double grad_scale) override {
    torch::NoGradGuard no_grad;
    if (params_.empty()) return 0;
    // Summed on the device, read once (one synchronisation on a GPU).
    torch::Tensor squared = torch::zeros({}, params_.front().options().dtype(torch::kFloat64));
    for (auto& p : params_)
      if (p.grad().defined()) squared += p.grad().pow(2).sum().to(torch::kFloat64);
    return std::sqrt(squared.item<double>()) * grad_scale;
  }
  void Step(double lr, double grad_scale) override {
    torch::NoGradGuard no_grad;
    if (grad_scale != 1.0)
      for (auto& p : params_)
        if (p.grad().defined()) p.mutable_grad().mul_(grad_scale);
    for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
    optimizer_->step();
    optimizer_->zero_grad();
  }
  void ZeroGrad() override { optimizer_->zero_grad(); }
  double ExchangeGradients(const std::function<void(torch::Tensor&)>& sum_in_place, double control) override {
    // Gathered into one buffer and back: these optimizers keep their own tensors.
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> flat;
    for (auto& p : params_) {
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      flat.push_back(p.grad().reshape({-1}).to(torch::kFloat32));
    }
    flat.push_back(torch::full({1}, control, flat.empty() ? torch::TensorOptions().dtype(torch::kFloat32)
                                                          : flat.front().options()));
    torch::Tensor all = torch::cat(flat);
    sum_in_place(all);
    int64_t at = 0;
    for (auto& p : params_) {
      const int64_t n = p.numel();
      p.mutable_grad().copy_(all.slice(0, at, at + n).view(p.sizes()));
      at += n;
    }
    return all[at].item<double>();
  }
  Status Save(const std::string& path) override {
    return Guarded("saving " + path, [&] { torch::save(*optimizer_, path); });
  }
  Status Load(const std::string& path) override {
    return Guarded("reading " + path, [&] { torch::load(*optimizer_, path); });
  }

 private:
  std::vector<torch::Tensor> params_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
};

}  // namespace

std::unique_ptr<TrainingOptimizer> MakeOptimizer(const TrainingArguments& args, torch::nn::Module& model) {
  if (args.optim == "adamw") return std::make_unique<FlatAdamWOptimizer>(args, model);
  return std::make_unique<TorchOptimizer>(args, model);
}

}  // namespace knob
