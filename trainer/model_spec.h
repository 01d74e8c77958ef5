// The `model` section of a knob-train config: an MLP or a CNN, every choice a key
// so that studies can search over it. Checked whole before training; an unknown
// key or a bad value is one line naming `model.KEY`. Read by knob-train's model
// builder (trainer/models.h); Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

enum class ModelType { kMlp, kCnn };

struct ModelSpec {
  ModelType type = ModelType::kMlp;
  std::vector<int64_t> hidden = {256, 128};  // MLP: widths; CNN: dense layers after the convolutions
  std::string activation = "relu";           // relu, gelu, tanh, silu
  double dropout = 0.1;                      // after every hidden layer (MLP) / dense layer (CNN)
  std::string norm = "none";                 // MLP: none, batch, layer (before the activation)
  // CNN only.
  std::vector<int64_t> channels = {32, 64};  // one block per entry
  int64_t kernel = 3;                        // odd; "same" padding
  int64_t convs_per_block = 1;               // depth of each block
  bool batch_norm = true;                    // after each convolution
  std::string pooling = "max";               // max, avg, none: 2x2 after each block
  double conv_dropout = 0.0;                 // after each block
};

Result<ModelSpec> ParseModelSpec(const nlohmann::json& section);

}  // namespace knob
