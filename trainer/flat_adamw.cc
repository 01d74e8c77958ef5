#include "trainer/flat_adamw.h"

#include <cmath>

#include "trainer/vector_clones.h"

namespace knob {
namespace {

struct FusedCoefficients {
  float grad_scale, decay, beta1, one_minus_beta1, beta2, one_minus_beta2, step_size, inv_sqrt_bias2, eps;
};

// One pass: p = p * decay - step_size * m / (sqrt(v) * inv_sqrt_bias2 + eps) with
// the moments updated from g * grad_scale, then g = 0.
KNOB_VECTOR_CLONES void FusedAdamWPass(float* __restrict p, float* __restrict g, float* __restrict m,
                                       float* __restrict v, int64_t n, FusedCoefficients c) {
  for (int64_t i = 0; i < n; ++i) {
    const float grad = g[i] * c.grad_scale;
    g[i] = 0.0f;
    const float mi = c.beta1 * m[i] + c.one_minus_beta1 * grad;
    const float vi = c.beta2 * v[i] + c.one_minus_beta2 * grad * grad;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] * c.decay - c.step_size * mi / (std::sqrt(vi) * c.inv_sqrt_bias2 + c.eps);
  }
}

}  // namespace

FlatAdamW::Group FlatAdamW::Flatten(const std::vector<torch::Tensor>& params, double weight_decay, int64_t* at) {
  Group group;
  group.weight_decay = weight_decay;
  int64_t total = 0;
  for (const auto& p : params) total += p.numel();
  auto options = torch::TensorOptions().dtype(torch::kFloat32).device(params.front().device());
  group.params = torch::empty({total}, options);
  group.grads = gradients_.slice(0, *at, *at + total);
  *at += total;
  group.exp_avg = torch::zeros({total}, options);
  group.exp_avg_sq = torch::zeros({total}, options);
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
  int64_t total = 1;  // the control element
  torch::Device device = torch::kCPU;
  for (const auto* list : {&decay, &no_decay})
    for (const auto& p : *list) total += p.numel(), device = p.device();
  gradients_ = torch::zeros({total}, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  int64_t at = 0;
  if (!decay.empty()) groups_.push_back(Flatten(decay, options.weight_decay, &at));
  if (!no_decay.empty()) groups_.push_back(Flatten(no_decay, 0.0, &at));
}

void FlatAdamW::ZeroGrad() { gradients_.zero_(); }

double FlatAdamW::GradNorm(double grad_scale) {
  torch::NoGradGuard no_grad;
  if (groups_.empty()) return 0;
  // Summed on the device, read once (one synchronisation on a GPU).
  torch::Tensor squared = torch::zeros({}, groups_.front().grads.options().dtype(torch::kFloat64));
  for (auto& g : groups_) squared += g.grads.dot(g.grads).to(torch::kFloat64);
  return std::sqrt(squared.item<double>()) * grad_scale;
}

void FlatAdamW::StepWithTensors(Group& g, double lr, double grad_scale, double bias1, double bias2) {
  if (grad_scale != 1.0) g.grads.mul_(grad_scale);
  if (g.weight_decay != 0) g.params.mul_(1 - lr * g.weight_decay);
  g.exp_avg.mul_(options_.beta1).add_(g.grads, 1 - options_.beta1);
  g.exp_avg_sq.mul_(options_.beta2).addcmul_(g.grads, g.grads, 1 - options_.beta2);
  // p -= lr / bias1 * m / (sqrt(v) / sqrt(bias2) + eps), as torch.optim.AdamW.
  torch::Tensor denom = (g.exp_avg_sq.sqrt() / std::sqrt(bias2)).add_(options_.eps);
  g.params.addcdiv_(g.exp_avg, denom, -lr / bias1);
  g.grads.zero_();
}

void FlatAdamW::Step(double lr, double grad_scale) {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double bias1 = 1 - std::pow(options_.beta1, static_cast<double>(steps_));
  const double bias2 = 1 - std::pow(options_.beta2, static_cast<double>(steps_));
  for (auto& g : groups_) {
    if (!g.params.is_cpu()) {
      StepWithTensors(g, lr, grad_scale, bias1, bias2);
      continue;
    }
    FusedCoefficients c{static_cast<float>(grad_scale),
                        static_cast<float>(1 - lr * g.weight_decay),
                        static_cast<float>(options_.beta1),
                        static_cast<float>(1 - options_.beta1),
                        static_cast<float>(options_.beta2),
                        static_cast<float>(1 - options_.beta2),
                        static_cast<float>(lr / bias1),
                        static_cast<float>(1 / std::sqrt(bias2)),
                        static_cast<float>(options_.eps)};
    FusedAdamWPass(g.params.data_ptr<float>(), g.grads.data_ptr<float>(), g.exp_avg.data_ptr<float>(),
                   g.exp_avg_sq.data_ptr<float>(), g.params.numel(), c);
  }
}

std::vector<torch::Tensor> FlatAdamW::State() const {
  std::vector<torch::Tensor> state;
  for (const auto& g : groups_) state.push_back(g.exp_avg), state.push_back(g.exp_avg_sq);
  return state;
}

bool FlatAdamW::LoadState(const std::vector<torch::Tensor>& state, int64_t steps) {
  if (state.size() != 2 * groups_.size()) return false;
  for (size_t i = 0; i < groups_.size(); ++i)
    if (!state[2 * i].sizes().equals(groups_[i].exp_avg.sizes()) ||
        !state[2 * i + 1].sizes().equals(groups_[i].exp_avg_sq.sizes()))
      return false;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < groups_.size(); ++i) {
    groups_[i].exp_avg.copy_(state[2 * i]);
    groups_[i].exp_avg_sq.copy_(state[2 * i + 1]);
  }
  steps_ = steps;
  return true;
}

}  // namespace knob
