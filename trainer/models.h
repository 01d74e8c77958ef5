// Builds knob-train's network from a checked ModelSpec: an MLP (Linear, optional
// batch/layer norm, activation, dropout per hidden layer) or a CNN (blocks of
// same-padded convolutions with optional batch norm, activation, 2x2 pooling and
// dropout, then dense layers; batch norm with ReLU, and the max pool after them, are
// one BatchNormReluPool module). Input images are channels x height x width; the
// network takes batches shaped [N, C*H*W] and returns logits. Torch code: only
// knob-train's translation units include this.
#pragma once

#include <torch/torch.h>

#include "base/result.h"
#include "trainer/augment.h"
#include "trainer/model_spec.h"

namespace knob {

// Bad input when the spec does not fit the data (a CNN on a table, pooling that
// shrinks the image below 1 pixel).
Result<torch::nn::Sequential> BuildModel(const ModelSpec& spec, ImageShape input, int64_t classes);

}  // namespace knob
