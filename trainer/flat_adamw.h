// AdamW over flat parameter storage: every parameter of a group becomes a view of
// one contiguous tensor, and so does its gradient. On the CPU a step is one fused
// pass over the buffers (gradient scaling for clipping and fp16 loss scaling,
// decoupled weight decay, both moments, bias correction, and zeroing the gradient
// for the next step); on other devices it is a handful of whole-buffer tensor
// operations. LibTorch 1.13's torch::optim::AdamW spends milliseconds per step on
// a 235k-parameter MLP with a loop of small operations per parameter; this is the
// same update rule as Python's AdamW. All groups' gradients sit in one buffer,
// with one more element at its end for a data-parallel run's control value, so
// that a step needs one all-reduce (FlatGradients). Used by knob-train; its state
// goes into checkpoints through State()/LoadState().
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
  // storage is moved into the flat buffers (on their device); values are kept.
  FlatAdamW(const std::vector<torch::Tensor>& decay, const std::vector<torch::Tensor>& no_decay, Options options);

  void ZeroGrad();
  // Every gradient, then the control element: one contiguous tensor.
  torch::Tensor FlatGradients() const { return gradients_; }
  // The global L2 norm of the gradients times `grad_scale` (what HF logs as
  // grad_norm); not finite when a gradient overflowed.
  double GradNorm(double grad_scale = 1.0);
  // One update with the gradients multiplied by `grad_scale` (ClipScale of
  // trainer/optimizers.h clips); leaves the gradients zeroed.
  void Step(double lr, double grad_scale = 1.0);
  int64_t steps() const { return steps_; }

  // The moments of every group, in a fixed order, for checkpoints.
  std::vector<torch::Tensor> State() const;
  // Restores State() and the step count; false when the shapes do not match.
  bool LoadState(const std::vector<torch::Tensor>& state, int64_t steps);

 private:
  struct Group {
    torch::Tensor params, grads, exp_avg, exp_avg_sq;
    double weight_decay = 0;
  };
  // Moves `params` into a flat buffer and their gradients into gradients_ from *offset on.
  Group Flatten(const std::vector<torch::Tensor>& params, double weight_decay, int64_t* offset);
  void StepWithTensors(Group& g, double lr, double grad_scale, double bias1, double bias2);

  torch::Tensor gradients_;  // every group's, then the control element
  std::vector<Group> groups_;
  Options options_;
  int64_t steps_ = 0;
};

}  // namespace knob
