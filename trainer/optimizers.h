// knob-train's optimizers behind one interface: AdamW (the default) on flat
// parameter storage (trainer/flat_adamw.h), Adam and SGD (momentum, Nesterov) on
// LibTorch's classes, all with HF's parameter groups (no weight decay on biases
// and norm weights). The learning rate is given at every step (a pure function of
// the step), so a resumed run needs only the optimizer's moments. Torch code.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "trainer/training_arguments.h"

namespace knob {

class TrainingOptimizer {
 public:
  virtual ~TrainingOptimizer() = default;
  // Global L2 norm of the gradients times `grad_scale`; not finite on overflow.
  virtual double GradNorm(double grad_scale) = 0;
  // One update with the gradients multiplied by `grad_scale`; gradients zeroed after.
  virtual void Step(double lr, double grad_scale) = 0;
  virtual void ZeroGrad() = 0;
  // Data parallel: hands `sum_in_place` one flat float32 tensor holding every
  // gradient and then `control`, to be summed over the ranks in one all-reduce;
  // the gradients take the sums, and the summed control is returned.
  virtual double ExchangeGradients(const std::function<void(torch::Tensor&)>& sum_in_place, double control) = 0;
  virtual Status Save(const std::string& path) = 0;
  virtual Status Load(const std::string& path) = 0;
};

// The factor torch.nn.utils.clip_grad_norm_ scales gradients by so that their
// global L2 norm `norm` is at most `max_norm`: 1 when it already is, or when
// clipping is off (max_norm <= 0).
inline double ClipScale(double norm, double max_norm) {
  return max_norm > 0 && norm > max_norm ? max_norm / (norm + 1e-6) : 1.0;
}

// Takes the model's parameters (AdamW moves them into flat buffers: build it
// after the weights are loaded and on their device).
std::unique_ptr<TrainingOptimizer> MakeOptimizer(const TrainingArguments& args, torch::nn::Module& model);

}  // namespace knob
