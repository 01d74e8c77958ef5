// Evaluating a knob-train model on a split: mean cross-entropy loss, accuracy and
// macro-F1 (trainer/classification_metrics.h), in batches, without gradients, in
// eval mode (dropout off, batch-norm running statistics) and back to train mode
// after. One device-to-host copy per split. A data-parallel run evaluates a
// shard per rank and sums the totals (EvalTotals) over the ranks before turning
// them into metrics. Torch code.
#pragma once

#include <torch/torch.h>

#include <optional>

#include "trainer/classification_metrics.h"

namespace knob {

// Features [N, D] and labels [N] of a split, on the device that trains.
struct SplitTensors {
  torch::Tensor x, y;
};

struct EvalMetrics {
  double loss = 0, accuracy = 0, f1 = 0;
};

// What adds up over shards: the summed loss and the class counts.
struct EvalTotals {
  double loss_sum = 0;
  ClassCounts counts;
  // As one float64 tensor (for a sum over ranks) and back.
  torch::Tensor Pack() const;
  static EvalTotals Unpack(const torch::Tensor& packed, int num_classes);
};

EvalTotals EvaluateTotals(torch::nn::Sequential& model, const SplitTensors& data, int64_t batch, int num_classes,
                          std::optional<torch::ScalarType> autocast);
EvalMetrics MetricsOf(const EvalTotals& totals);

EvalMetrics Evaluate(torch::nn::Sequential& model, const SplitTensors& data, int64_t batch, int num_classes,
                     std::optional<torch::ScalarType> autocast);

}  // namespace knob
