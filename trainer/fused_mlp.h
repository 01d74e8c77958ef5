// The training step of a plain MLP (Linear layers, ReLU, optional dropout, no
// norm) on the CPU without autograd: the forward pass keeps what the backward
// pass needs, the loss gradient comes from LibTorch's fused log-softmax and NLL
// kernels, and each layer's weight and bias gradients are accumulated straight
// into the parameters' gradient tensors (the flat AdamW buffers) by GEMMs with
// beta 1. Same gradients as autograd (same dropout draws too), fewer operations
// and allocations per step: for small models on a CPU the framework's per-step
// overhead is a large part of the time. Used by knob-train's training loop when
// the model qualifies; Torch code.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>

#include "trainer/model_spec.h"

namespace knob {

class FusedMlp {
 public:
  // Null when the model or the setting does not qualify (other activations, norms,
  // CNNs, autocast, a device other than the CPU).
  static std::unique_ptr<FusedMlp> ForModel(const ModelSpec& spec, torch::nn::Sequential& model,
                                            torch::Device device, std::optional<torch::ScalarType> autocast);

  // Mean cross-entropy of the batch (returned, detached); adds the gradients of
  // `loss_scale` x loss to the parameters' gradients. Training mode (dropout on).
  torch::Tensor LossAndGradients(const torch::Tensor& x, const torch::Tensor& labels, double loss_scale);

 private:
  FusedMlp(std::vector<torch::nn::Linear> layers, double dropout) : layers_(std::move(layers)), dropout_(dropout) {}

  std::vector<torch::nn::Linear> layers_;
  double dropout_;
};

}  // namespace knob
