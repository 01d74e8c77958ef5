// FlatAdamW takes the same steps as LibTorch's AdamW (decoupled weight decay on
// one group, none on the other) and clips as clip_grad_norm_ does, on the CPU and
// on CUDA when there is a GPU. A plain
// program (exit code 1 on a mismatch): doctest's assertions misbehave when
// compiled with Torch's flags, and the main test binary stays free of Torch.
#include <cmath>
#include <cstdio>

#include "trainer/flat_adamw.h"

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
  for (int step = 0; step < 5; ++step) {
    torch::Tensor x = torch::randn({8, 6}).to(device), y = torch::randint(0, 3, {8}).to(device);
    torch::nn::functional::cross_entropy(a->forward(x), y).backward();
    torch::nn::functional::cross_entropy(b->forward(x), y).backward();
    double reference_norm = torch::nn::utils::clip_grad_norm_(a->parameters(), 0.5);
    double norm = flat.ClipGradNorm(0.5);
    Check(std::fabs(norm - reference_norm) <= 1e-5 * reference_norm, "gradient norms agree");
    reference.step();
    reference.zero_grad();
    flat.Step(0.01);
    flat.ZeroGrad();
  }
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) Check(torch::allclose(pa[i], pb[i], 1e-5, 1e-6), "parameters agree");
}

}  // namespace knob

int main() {
  // The CPU takes the fused pass; CUDA (where there is one) the tensor operations.
  knob::SameStepsAsTorchAdamW(torch::kCPU);
  if (torch::cuda::is_available()) knob::SameStepsAsTorchAdamW(torch::Device(torch::kCUDA, 0));
  std::printf(knob::failures ? "flat AdamW: %d checks failed\n" : "flat AdamW: same steps as torch::optim::AdamW%.0d\n",
              knob::failures);
  return knob::failures ? 1 : 0;
}
