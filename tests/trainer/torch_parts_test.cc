// knob-train's Torch parts against LibTorch's own: FlatAdamW takes the same steps
// as torch::optim::AdamW (decoupled weight decay on one group, none on the other)
// and clips as clip_grad_norm_ does, on the CPU and on CUDA when there is a GPU;
// FusedMlp computes the same loss and gradients as autograd, dropout included. A
// plain program (exit code 1 on a mismatch): doctest's assertions misbehave when
// compiled with Torch's flags, and the main test binary stays free of Torch.
#include <cmath>
#include <cstdio>

#include "trainer/flat_adamw.h"
#include "trainer/fused_mlp.h"
#include "trainer/models.h"
#include "trainer/optimizers.h"

namespace knob {

int failures = 0;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

void SameStepsAsTorchAdamW(torch::Device device) {
  torch::manual_seed(3);
  torch::nn::Sequential a(torch::nn::Linear(6, 5), torch::nn::ReLU(), torch::nn::Linear(5, 3));
  torch::nn::Sequential b(torch::nn::Linear(6, 5), torch::nn::ReLU(), torch::nn::Linear(5, 3));
  a->to(device);
  b->to(device);
  {
    torch::NoGradGuard no_grad;
    auto pa = a->parameters(), pb = b->parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
  }
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : b->parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  FlatAdamW flat(decay, no_decay, {0.9, 0.999, 1e-8, 0.05});
  std::vector<torch::optim::OptimizerParamGroup> groups;
  std::vector<torch::Tensor> ref_decay, ref_no_decay;
  for (auto& p : a->parameters()) (p.dim() >= 2 ? ref_decay : ref_no_decay).push_back(p);
  groups.emplace_back(ref_decay, std::make_unique<torch::optim::AdamWOptions>(
                                     torch::optim::AdamWOptions(0.01).weight_decay(0.05)));
  groups.emplace_back(ref_no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                        torch::optim::AdamWOptions(0.01).weight_decay(0.0)));
  torch::optim::AdamW reference(groups, torch::optim::AdamWOptions(0.01));
  int clipped = 0;
  for (int step = 0; step < 5; ++step) {
    torch::Tensor x = torch::randn({8, 6}).to(device), y = torch::randint(0, 3, {8}).to(device);
    torch::nn::functional::cross_entropy(a->forward(x), y).backward();
    torch::nn::functional::cross_entropy(b->forward(x), y).backward();
    double reference_norm = torch::nn::utils::clip_grad_norm_(a->parameters(), 0.5);
    // As knob-train's loop clips: the norm, then a step with the clip factor
    // (which also leaves the gradients zeroed for the next round).
    double norm = flat.GradNorm();
    Check(std::fabs(norm - reference_norm) <= 1e-5 * reference_norm, "gradient norms agree");
    clipped += norm > 0.5;
    reference.step();
    reference.zero_grad();
    flat.Step(0.01, ClipScale(norm, 0.5));
  }
  Check(clipped > 0, "some steps were clipped");
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) Check(torch::allclose(pa[i], pb[i], 1e-5, 1e-6), "parameters agree");
}

// Loss and every parameter gradient of FusedMlp equal autograd's for an MLP with
// `dropout`, accumulated twice (as gradient accumulation does).
void SameGradientsAsAutograd(double dropout) {
  ModelSpec spec;
  spec.hidden = {7, 5};
  spec.dropout = dropout;
  torch::manual_seed(11);
  auto a = BuildModel(spec, {1, 3, 4}, 3), b = BuildModel(spec, {1, 3, 4}, 3);
  {
    torch::NoGradGuard no_grad;
    auto pa = (*a)->parameters(), pb = (*b)->parameters();
    for (size_t i = 0; i < pa.size(); ++i) pb[i].copy_(pa[i]);
  }
  auto fused = FusedMlp::ForModel(spec, *b, torch::kCPU, std::nullopt);
  Check(fused != nullptr, "a ReLU MLP qualifies");
  if (!fused) return;
  spec.activation = "gelu";
  Check(FusedMlp::ForModel(spec, *b, torch::kCPU, std::nullopt) == nullptr, "a GELU MLP does not");
  for (int round = 0; round < 2; ++round) {
    torch::Tensor x = torch::randn({6, 12}), y = torch::randint(0, 3, {6});
    torch::manual_seed(100 + round);
    torch::Tensor reference = torch::nn::functional::cross_entropy((*a)->forward(x), y);
    (reference * 0.5).backward();
    torch::manual_seed(100 + round);
    torch::Tensor loss = fused->LossAndGradients(x, y, 0.5);
    Check(std::fabs(loss.item<double>() - reference.item<double>()) < 1e-6, "losses agree");
  }
  auto pa = (*a)->parameters(), pb = (*b)->parameters();
  for (size_t i = 0; i < pa.size(); ++i)
    Check(pb[i].grad().defined() && torch::allclose(pa[i].grad(), pb[i].grad(), 1e-5, 1e-6), "gradients agree");
}

}  // namespace knob

int main() {
  // The CPU takes the fused pass; CUDA (where there is one) the tensor operations.
  knob::SameStepsAsTorchAdamW(torch::kCPU);
  if (torch::cuda::is_available()) knob::SameStepsAsTorchAdamW(torch::Device(torch::kCUDA, 0));
  knob::SameGradientsAsAutograd(0.0);
  knob::SameGradientsAsAutograd(0.3);
  std::printf(knob::failures ? "knob-train's Torch parts: %d checks failed\n"
                             : "knob-train's Torch parts: FlatAdamW and FusedMlp agree with LibTorch%.0d\n",
              knob::failures);
  return knob::failures ? 1 : 0;
}
