#include "trainer/models.h"

#include "trainer/batch_norm_relu_pool.h"

namespace knob {
namespace {

void AddActivation(torch::nn::Sequential& net, const std::string& activation) {
  if (activation == "gelu") net->push_back(torch::nn::GELU());
  else if (activation == "tanh") net->push_back(torch::nn::Tanh());
  else if (activation == "silu") net->push_back(torch::nn::SiLU());
  else net->push_back(torch::nn::ReLU());
}

// Linear layers of `widths` (each with norm, activation, dropout) from `inputs`,
// then the classifier; returns nothing, appends to `net`.
void AddDense(torch::nn::Sequential& net, const ModelSpec& spec, int64_t inputs, int64_t classes) {
  int64_t width = inputs;
  for (int64_t h : spec.hidden) {
    net->push_back(torch::nn::Linear(torch::nn::LinearOptions(width, h).bias(spec.norm != "batch")));
    if (spec.norm == "batch") net->push_back(torch::nn::BatchNorm1d(h));
    if (spec.norm == "layer") net->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({h})));
    AddActivation(net, spec.activation);
    if (spec.dropout > 0) net->push_back(torch::nn::Dropout(spec.dropout));
    width = h;
  }
  net->push_back(torch::nn::Linear(width, classes));
}

}  // namespace

Result<torch::nn::Sequential> BuildModel(const ModelSpec& spec, ImageShape input, int64_t classes) {
  torch::nn::Sequential net;
  if (spec.type == ModelType::kMlp) {
    AddDense(net, spec, input.channels * input.height * input.width, classes);
    return net;
  }
  if (input.height < 2 || input.width < 2)
    return Error::BadInput("model.type: cnn needs image data, the dataset is a table of " +
                           std::to_string(input.width) + " columns");
  net->push_back(torch::nn::Unflatten(torch::nn::UnflattenOptions(1, {input.channels, input.height, input.width})));
  int64_t channels = input.channels, height = input.height, width = input.width;
  // Batch norm, ReLU and a max pool after it are one module (BatchNormReluPool).
  const bool fused_tail = spec.batch_norm && spec.activation == "relu";
  for (int64_t out : spec.channels) {
    if (spec.pooling != "none" && (height < 2 || width < 2))
      return Error::BadInput("model.channels: " + std::to_string(spec.channels.size()) +
                             " pooled blocks shrink the image below one pixel");
    for (int64_t i = 0; i < spec.convs_per_block; ++i) {
      net->push_back(torch::nn::Conv2d(
          torch::nn::Conv2dOptions(channels, out, spec.kernel).padding(spec.kernel / 2).bias(!spec.batch_norm)));
      const bool last = i + 1 == spec.convs_per_block;
      if (fused_tail) {
        net->push_back(BatchNormReluPool(out, last && spec.pooling == "max"));
      } else {
        if (spec.batch_norm) net->push_back(torch::nn::BatchNorm2d(out));
        AddActivation(net, spec.activation);
      }
      channels = out;
    }
    if (spec.pooling != "none") {
      if (spec.pooling == "avg") net->push_back(torch::nn::AvgPool2d(2));
      else if (!fused_tail) net->push_back(torch::nn::MaxPool2d(2));
      height /= 2, width /= 2;
    }
    if (spec.conv_dropout > 0) net->push_back(torch::nn::Dropout2d(spec.conv_dropout));
  }
  net->push_back(torch::nn::Flatten());
  AddDense(net, spec, channels * height * width, classes);
  return net;
}

}  // namespace knob
