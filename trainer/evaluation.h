// Evaluating a knob-train model on a split: mean cross-entropy loss, accuracy and
// macro-F1 (trainer/classification_metrics.h), in batches, without gradients, in
// eval mode (dropout off, batch-norm running statistics) and back to train mode
// after. One device-to-host copy per split. Torch code.
#pragma once

#include <torch/torch.h>

#include <optional>

namespace knob {

// Features [N, D] and labels [N] of a split, on the device that trains.
struct SplitTensors {
  torch::Tensor x, y;
};

struct EvalMetrics {
  double loss = 0, accuracy = 0, f1 = 0;
};

EvalMetrics Evaluate(torch::nn::Sequential& model, const SplitTensors& data, int64_t batch, int num_classes,
                     std::optional<torch::ScalarType> autocast);

}  // namespace knob
