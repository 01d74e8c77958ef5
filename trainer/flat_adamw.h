// AdamW over flat parameter storage: every parameter of a group becomes a view of
// one contiguous tensor, and so does its gradient, so that a step (and gradient
// clipping) is a handful of whole-buffer operations instead of a loop of small
// ones per parameter. LibTorch 1.13's torch::optim::AdamW spends milliseconds per
// step on a 235k-parameter MLP that way; this is the same update rule (decoupled
// weight decay, bias correction), as Python's AdamW computes it. Used by knob-train.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace knob {

class FlatAdamW {
 public:
  struct Options {
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  };
  // `decay` get `weight_decay`, `no_decay` none (HF's groups). The parameters'
  // storage is moved into the flat buffers; their values are kept.
  FlatAdamW(const std::vector<torch::Tensor>& decay, const std::vector<torch::Tensor>& no_decay, Options options);

  void ZeroGrad();
  // Scales the gradients so that their global L2 norm is at most `max_norm`;
  // returns the norm before clipping (what HF logs as grad_norm).
  double ClipGradNorm(double max_norm);
  void Step(double lr);
  int64_t steps() const { return steps_; }

 private:
  struct Group {
    torch::Tensor params, grads, exp_avg, exp_avg_sq;
    double weight_decay = 0;
  };
  static Group Flatten(const std::vector<torch::Tensor>& params, double weight_decay);

  std::vector<Group> groups_;
  Options options_;
  int64_t steps_ = 0;
};

}  // namespace knob
