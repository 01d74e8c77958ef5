// knob-train's Torch parts against LibTorch's own: FlatAdamW takes the same steps
// as torch::optim::AdamW (decoupled weight decay on one group, none on the other)
// and clips as clip_grad_norm_ does, on the CPU and on CUDA when there is a GPU;
// FusedMlp computes the same loss and gradients as autograd, dropout included;
// BatchNormReluPool computes what BatchNorm2d, ReLU and MaxPool2d do; the
// data-parallel group (two ranks in threads, over a real TCPStore and Gloo on
// the CPU; NCCL with one rank on a GPU) sums, broadcasts and agrees, the world
// is read from torchrun's variables, and evaluation totals survive packing. A
// plain program (exit code 1 on a mismatch): doctest's assertions misbehave when
// compiled with Torch's flags, and the main test binary stays free of Torch.

#include <cmath>
#include <cstdio>
#include <map>
#include <thread>

#include "free_port.h"
#include "trainer/batch_norm_relu_pool.h"
#include "trainer/data_parallel.h"
#include "trainer/evaluation.h"
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

// BatchNormReluPool against BatchNorm2d, ReLU and (with `max_pool`) MaxPool2d on
// an H x W input (odd sizes leave a row and a column out of the pool; a pooled row
// of fewer than four windows, like CUDA, takes LibTorch's kernels instead): outputs,
// input and parameter gradients over two training rounds (accumulated), running
// statistics, the eval-mode output, and NaN propagated as LibTorch propagates it.
void SameAsBatchNormReluPool(bool max_pool, int64_t height, int64_t width, torch::Device device = torch::kCPU) {
  torch::manual_seed(5);
  const int64_t channels = 3;
  const bool hand_written = device.is_cpu() && (!max_pool || width >= 8);
  torch::nn::Sequential reference{torch::nn::BatchNorm2d(channels), torch::nn::ReLU()};
  if (max_pool) reference->push_back(torch::nn::MaxPool2d(2));
  BatchNormReluPool fused(channels, max_pool);
  reference->to(device);
  fused->to(device);
  {
    torch::NoGradGuard no_grad;
    // A negative scale on one channel: its pooled maximum comes from the smallest input.
    torch::Tensor gamma = torch::tensor({1.5f, -0.7f, 0.3f}), beta = torch::tensor({0.2f, -0.1f, 0.4f});
    reference->named_parameters()["0.weight"].copy_(gamma);
    reference->named_parameters()["0.bias"].copy_(beta);
    fused->weight.copy_(gamma);
    fused->bias.copy_(beta);
  }
  const std::string label = std::string(max_pool ? "pooled " : "unpooled ") + std::to_string(height) + "x" +
                            std::to_string(width) + " on " + device.str() + ": ";
  auto check = [&](bool ok, const std::string& what) { Check(ok, (label + what).c_str()); };
  for (int round = 0; round < 2; ++round) {
    // A large mean next to a small spread: the variance must not lose its digits.
    // The second round has few distinct values: pooling windows with ties.
    torch::Tensor noise = torch::randn({4, channels, height, width});
    if (round == 1) noise = torch::round(noise * 2) / 2;
    torch::Tensor x = (noise * 0.5 + 30).to(device).requires_grad_();
    torch::Tensor x2 = x.detach().clone().requires_grad_();
    torch::Tensor expected = reference->forward(x), got = fused->forward(x2);
    check(got.sizes() == expected.sizes() && torch::allclose(got, expected, 1e-4, 1e-5), "training outputs agree");
    check((got.grad_fn()->name().find("TrainingPass") != std::string::npos) == hand_written,
          "the expected path ran: " + got.grad_fn()->name());
    torch::Tensor upstream = torch::randn(expected.sizes()).to(device);
    (expected * upstream).sum().backward();
    (got * upstream).sum().backward();
    check(torch::allclose(x.grad(), x2.grad(), 1e-3, 1e-5), "input gradients agree");
  }
  auto params = reference->named_parameters();
  check(torch::allclose(fused->weight.grad(), params["0.weight"].grad(), 1e-3, 1e-5), "weight gradients agree");
  check(torch::allclose(fused->bias.grad(), params["0.bias"].grad(), 1e-4, 1e-5), "bias gradients agree");
  auto buffers = reference->named_buffers();
  check(torch::allclose(fused->running_mean, buffers["0.running_mean"], 1e-5, 1e-5), "running means agree");
  check(torch::allclose(fused->running_var, buffers["0.running_var"], 1e-4, 1e-6), "running variances agree");
  check(fused->num_batches_tracked.item<int64_t>() == 2, "two batches tracked");

  reference->eval();
  fused->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor x = (torch::randn({2, channels, height, width}) * 0.5 + 30).to(device);
  check(torch::allclose(fused->forward(x), reference->forward(x), 1e-4, 1e-5), "eval outputs agree");
  x[1][2][0][0] = std::nanf("");
  torch::Tensor expected = reference->forward(x), got = fused->forward(x);
  check(torch::equal(torch::isnan(got), torch::isnan(expected)) && torch::isnan(got).any().item<bool>(),
        "NaN reaches the same outputs");
}

void ReadsTheWorldFromTorchrunsVariables() {
  auto read = [](std::map<std::string, std::string> vars) {
    return ReadWorldEnvironment([vars](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    });
  };
  auto alone = read({});
  Check(alone.ok() && alone->size == 1 && alone->rank == 0, "no WORLD_SIZE: a world of one");
  auto two = read({{"WORLD_SIZE", "2"}, {"RANK", "1"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29400"}});
  Check(two.ok() && two->size == 2 && two->rank == 1 && two->local_rank == 1 && two->master_port == 29400,
        "WORLD_SIZE 2, RANK 1 (LOCAL_RANK defaults to RANK)");
  auto bad_rank = read({{"WORLD_SIZE", "2"}, {"RANK", "2"}, {"MASTER_PORT", "29400"}});
  Check(!bad_rank.ok() && bad_rank.error().message == "RANK: expected an integer from 0 to 1, got '2'",
        "RANK outside the world is bad input");
  auto no_port = read({{"WORLD_SIZE", "2"}, {"RANK", "0"}});
  Check(!no_port.ok() && no_port.error().message.rfind("MASTER_PORT: not set", 0) == 0, "MASTER_PORT is needed");
  auto overflow = read({{"WORLD_SIZE", "99999999999999999999"}});
  Check(!overflow.ok() && overflow.error().kind == ErrorKind::kBadInput, "an overflowing WORLD_SIZE is bad input");
}

void TwoCpuRanks();

void TwoRanksSumBroadcastAndAgree() {
  if (!DataParallelGroup::Available(torch::kCPU)) {
    std::printf("no Gloo in this build: the CPU data-parallel check is skipped\n");
  } else {
    TwoCpuRanks();
  }
  if (torch::cuda::is_available() && DataParallelGroup::Available(torch::Device(torch::kCUDA, 0))) {
    // NCCL on the one card: a world of one that still communicates.
    WorldEnvironment one;
    one.master_port = testing::FreePort();
    auto group = DataParallelGroup::Join(one, torch::Device(torch::kCUDA, 0), 60, /*even_alone=*/true);
    Check(group.ok(), "NCCL: a world of one joins");
    if (group.ok()) {
      torch::Tensor t = torch::full({1000}, 2.5f, torch::Device(torch::kCUDA, 0));
      (*group)->SumInPlace(t);
      (*group)->BroadcastInPlace(t);
      Check(t.eq(2.5f).all().item<bool>() && (*group)->Any(true) && !(*group)->Any(false),
            "NCCL on one GPU: sum, broadcast and any of a world of one");
      std::printf("NCCL: a world of one ran on %s\n", torch::Device(torch::kCUDA, 0).str().c_str());
    }
  }
}

void TwoCpuRanks() {
  const int port = testing::FreePort();
  bool ok[2] = {false, false};
  auto rank_body = [&](int rank) {
    WorldEnvironment world;
    world.rank = rank, world.size = 2, world.local_rank = rank, world.master_port = port;
    auto group = DataParallelGroup::Join(world, torch::kCPU, 60);
    if (!group.ok()) return;
    torch::Tensor sum = torch::full({5}, static_cast<float>(rank + 1));
    (*group)->SumInPlace(sum);
    torch::Tensor from_zero = torch::full({3}, static_cast<double>(10 * rank + 7), torch::kFloat64);
    (*group)->BroadcastInPlace(from_zero);
    bool any = (*group)->Any(rank == 1), none = (*group)->Any(false);
    (*group)->Barrier();
    ok[rank] = sum.eq(3).all().item<bool>() && from_zero.eq(7).all().item<bool>() && any && !none;
  };
  std::thread other(rank_body, 1);
  rank_body(0);
  other.join();
  Check(ok[0] && ok[1], "two ranks over Gloo: sum, rank 0's broadcast, any");
}

void EvaluationTotalsPackAndAdd() {
  EvalTotals a;
  a.loss_sum = 2.5;
  a.counts = ClassCounts(3);
  a.counts.Add({0, 1, 2, 2}, {0, 2, 2, 1});
  EvalTotals b = EvalTotals::Unpack(a.Pack() + a.Pack(), 3);
  Check(b.loss_sum == 5.0 && b.counts.total() == 8 && b.counts.true_pos[2] == 2 && b.counts.predicted[2] == 4,
        "evaluation totals pack, add and unpack");
  EvalMetrics one = MetricsOf(a), doubled = MetricsOf(b);
  Check(one.accuracy == 0.5 && doubled.accuracy == 0.5 && std::abs(one.f1 - doubled.f1) < 1e-15 &&
            std::abs(doubled.loss - 5.0 / 8) < 1e-15,
        "metrics of summed totals are the whole split's");
}

void FlatAdamWExchangesOneBuffer() {
  torch::manual_seed(1);
  torch::nn::Sequential net(torch::nn::Linear(4, 3), torch::nn::ReLU(), torch::nn::Linear(3, 2));
  TrainingArguments args;
  auto optimizer = MakeOptimizer(args, *net);
  torch::nn::functional::cross_entropy(net->forward(torch::randn({5, 4})), torch::tensor({0, 1, 1, 0, 1})).backward();
  int64_t parameters = 0;
  for (const auto& p : net->parameters()) parameters += p.numel();
  int64_t seen = -1;
  double control = optimizer->ExchangeGradients([&](torch::Tensor& all) {
    seen = all.numel();
    all.mul_(2);  // as a sum over two identical ranks
  }, 1.0);
  Check(seen == parameters + 1 && control == 2.0, "FlatAdamW: every gradient and the control value in one tensor");
  args.optim = "sgd";
  auto sgd = MakeOptimizer(args, *net);
  seen = -1;
  control = sgd->ExchangeGradients([&](torch::Tensor& all) { seen = all.numel(); }, 0.0);
  Check(seen == parameters + 1 && control == 0.0, "LibTorch's optimizers: gathered into one tensor");
}

}  // namespace knob

int main() {
  knob::ReadsTheWorldFromTorchrunsVariables();
  knob::TwoRanksSumBroadcastAndAgree();
  knob::EvaluationTotalsPackAndAdd();
  knob::FlatAdamWExchangesOneBuffer();
  // The CPU takes the fused pass; CUDA (where there is one) the tensor operations.
  knob::SameStepsAsTorchAdamW(torch::kCPU);
  if (torch::cuda::is_available()) knob::SameStepsAsTorchAdamW(torch::Device(torch::kCUDA, 0));
  knob::SameGradientsAsAutograd(0.0);
  knob::SameGradientsAsAutograd(0.3);
  knob::SameAsBatchNormReluPool(true, 8, 8);
  knob::SameAsBatchNormReluPool(true, 9, 14);   // 7 windows a row: the last four overlap
  knob::SameAsBatchNormReluPool(true, 10, 17);  // an odd column outside the windows
  knob::SameAsBatchNormReluPool(true, 6, 6);  // LibTorch's kernels
  knob::SameAsBatchNormReluPool(false, 5, 7);
  if (torch::cuda::is_available()) knob::SameAsBatchNormReluPool(true, 9, 14, torch::Device(torch::kCUDA, 0));
  std::printf(knob::failures ? "knob-train's Torch parts: %d checks failed\n"
                             : "knob-train's Torch parts: FlatAdamW, FusedMlp, BatchNormReluPool and the data-parallel group agree with LibTorch%.0d\n",
              knob::failures);
  return knob::failures ? 1 : 0;
}
