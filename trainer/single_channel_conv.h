// The first convolution of a network on one-channel (grayscale) images: a
// torch::nn::Conv2d (same parameters, names and initialisation; same padding,
// kernel / 2) whose forward, on the CPU in float32 when the input needs no
// gradient, is a hand-written pass (each of the k x k taps one vectorised sweep over
// a zero-padded copy of the image) with a backward of its own for the weight and
// bias gradients. oneDNN's kernels are slow for one input channel (about a fifth of
// a small CNN's step on a CPU); elsewhere it is Conv2d's own forward. Built by
// models.cc; Torch code.
#pragma once

#include <torch/torch.h>

namespace knob {

class SingleChannelConvImpl : public torch::nn::Conv2dImpl {
 public:
  SingleChannelConvImpl(int64_t out_channels, int64_t kernel, bool bias)
      : Conv2dImpl(torch::nn::Conv2dOptions(1, out_channels, kernel).padding(kernel / 2).bias(bias)),
        kernel_(kernel) {}

  // x: [N, 1, H, W]; returns [N, out_channels, H, W].
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t kernel_;  // odd
};
TORCH_MODULE(SingleChannelConv);

}  // namespace knob
