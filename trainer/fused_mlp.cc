#include "trainer/fused_mlp.h"

namespace knob {
namespace {

// The parameter's gradient tensor, made (zeros) when the optimizer left none.
torch::Tensor& GradOf(torch::Tensor& parameter) {
  if (!parameter.mutable_grad().defined()) parameter.mutable_grad() = torch::zeros_like(parameter);
  return parameter.mutable_grad();
}

}  // namespace

std::unique_ptr<FusedMlp> FusedMlp::ForModel(const ModelSpec& spec, torch::nn::Sequential& model,
                                             torch::Device device, std::optional<torch::ScalarType> autocast) {
  if (spec.type != ModelType::kMlp || spec.norm != "none" || spec.activation != "relu" || !device.is_cpu() ||
      autocast)
    return nullptr;
  std::vector<torch::nn::Linear> layers;
  for (const auto& child : model->children())
    if (child->as<torch::nn::LinearImpl>())
      layers.emplace_back(std::dynamic_pointer_cast<torch::nn::LinearImpl>(child));
  if (layers.size() != spec.hidden.size() + 1) return nullptr;
  return std::unique_ptr<FusedMlp>(new FusedMlp(std::move(layers), spec.dropout));
}

torch::Tensor FusedMlp::LossAndGradients(const torch::Tensor& x, const torch::Tensor& labels, double loss_scale) {
  torch::NoGradGuard no_grad;
  const size_t depth = layers_.size();
  // inputs[l]: what layer l saw; masks[l]: the scaled dropout mask after layer l.
  std::vector<torch::Tensor> inputs(depth), masks(depth);
  torch::Tensor h = x;
  for (size_t l = 0; l < depth; ++l) {
    inputs[l] = h;
    h = torch::addmm(layers_[l]->bias, h, layers_[l]->weight.t());
    if (l + 1 == depth) break;
    h.relu_();
    if (dropout_ > 0) {
      // As at::dropout draws it, so the two paths see the same masks.
      masks[l] = at::empty_like(h).bernoulli_(1 - dropout_).div_(1 - dropout_);
      h.mul_(masks[l]);
    }
  }
  torch::Tensor log_probs = torch::log_softmax(h, 1);
  auto [loss, total_weight] = at::nll_loss_forward(log_probs, labels, {}, at::Reduction::Mean, -100);
  torch::Tensor grad = at::nll_loss_backward(torch::full({}, loss_scale, loss.options()), log_probs, labels, {},
                                             at::Reduction::Mean, -100, total_weight);
  grad = at::_log_softmax_backward_data(grad, log_probs, 1, log_probs.scalar_type());
  for (size_t l = depth; l-- > 0;) {
    GradOf(layers_[l]->weight).addmm_(grad.t(), inputs[l]);
    GradOf(layers_[l]->bias).add_(grad.sum(0));
    if (l == 0) break;
    grad = torch::mm(grad, layers_[l]->weight);
    if (masks[l - 1].defined()) grad.mul_(masks[l - 1]);
    grad = at::threshold_backward(grad, inputs[l], 0);  // inputs[l] = relu output (after dropout)
  }
  return loss;
}

}  // namespace knob
