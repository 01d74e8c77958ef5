// A CNN block's tail as one module: BatchNorm2d, then ReLU, then (optionally) a
// 2x2 max pool. Its parameters and buffers are BatchNorm2d's, under the same
// names (weight, bias, running_mean, running_var, num_batches_tracked), and it
// computes the same thing. On the CPU in float32 it runs as hand-written vector
// passes, two over the activations forward (statistics; normalise, ReLU and pool)
// and two backward (an autograd function of its own), instead of five LibTorch
// kernels that each read and write the whole tensor: for a small CNN on a CPU those
// kernels take about half of a step. Elsewhere (CUDA, autocast, other types, pooled
// rows narrower than four windows) it calls LibTorch's batch_norm, relu and max_pool2d.
// Built by models.cc for blocks with batch norm and ReLU; Torch code.
#pragma once

#include <torch/torch.h>

namespace knob {

class BatchNormReluPoolImpl : public torch::nn::Cloneable<BatchNormReluPoolImpl> {
 public:
  BatchNormReluPoolImpl(int64_t channels, bool max_pool) : channels_(channels), max_pool_(max_pool) { reset(); }

  void reset() override;
  // x: [N, channels, H, W]; returns [N, channels, H/2, W/2] with the pool, else x's shape.
  torch::Tensor forward(const torch::Tensor& x);
  void pretty_print(std::ostream& stream) const override;

  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  static constexpr double kMomentum = 0.1, kEpsilon = 1e-5;  // BatchNorm2d's defaults

  int64_t channels_;
  bool max_pool_;
};
TORCH_MODULE(BatchNormReluPool);

}  // namespace knob
