#include "trainer/flat_adamw.h"

#include <cmath>

namespace knob {

FlatAdamW::Group FlatAdamW::Flatten(const std::vector<torch::Tensor>& params, double weight_decay) {
  Group group;
  group.weight_decay = weight_decay;
  int64_t total = 0;
  for (const auto& p : params) total += p.numel();
  group.params = torch::empty({total}, torch::kFloat32);
  group.grads = torch::zeros({total}, torch::kFloat32);
  group.exp_avg = torch::zeros({total}, torch::kFloat32);
  group.exp_avg_sq = torch::zeros({total}, torch::kFloat32);
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto p : params) {
    int64_t n = p.numel();
    auto values = group.params.slice(0, offset, offset + n);
    values.copy_(p.reshape({n}));
    // The parameter now lives in the flat buffer, its gradient too: backward
    // accumulates into the view in place.
    p.set_data(values.view(p.sizes()));
    p.mutable_grad() = group.grads.slice(0, offset, offset + n).view(p.sizes());
    offset += n;
  }
  return group;
}

FlatAdamW::FlatAdamW(const std::vector<torch::Tensor>& decay, const std::vector<torch::Tensor>& no_decay,
                     Options options)
    : options_(options) {
  if (!decay.empty()) groups_.push_back(Flatten(decay, options.weight_decay));
  if (!no_decay.empty()) groups_.push_back(Flatten(no_decay, 0.0));
}

void FlatAdamW::ZeroGrad() {
  for (auto& g : groups_) g.grads.zero_();
}

double FlatAdamW::ClipGradNorm(double max_norm) {
  torch::NoGradGuard no_grad;
  double squared = 0;
  for (auto& g : groups_) squared += g.grads.dot(g.grads).item<double>();
  double norm = std::sqrt(squared);
  if (max_norm > 0 && norm > max_norm) {
    double scale = max_norm / (norm + 1e-6);  // torch.nn.utils.clip_grad_norm_'s rule
    for (auto& g : groups_) g.grads.mul_(scale);
  }
  return norm;
}

void FlatAdamW::Step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double bias1 = 1 - std::pow(options_.beta1, static_cast<double>(steps_));
  const double bias2 = 1 - std::pow(options_.beta2, static_cast<double>(steps_));
  for (auto& g : groups_) {
    if (g.weight_decay != 0) g.params.mul_(1 - lr * g.weight_decay);
    g.exp_avg.mul_(options_.beta1).add_(g.grads, 1 - options_.beta1);
    g.exp_avg_sq.mul_(options_.beta2).addcmul_(g.grads, g.grads, 1 - options_.beta2);
    // p -= lr / bias1 * m / (sqrt(v) / sqrt(bias2) + eps), as torch.optim.AdamW.
    torch::Tensor denom = (g.exp_avg_sq.sqrt() / std::sqrt(bias2)).add_(options_.eps);
    g.params.addcdiv_(g.exp_avg, denom, -lr / bias1);
  }
}

}  // namespace knob
