// Training-space proxies with an out-of-memory region: family "memory", written after
// every default was chosen (and after gp's cliff cut, which an early form of
// oom_mlp was used to check). A bigger model, batch or context trains better, but
// past a memory budget the trial crashes (NaN: knob and Optuna both record a failed
// trial), so the best configuration sits on the edge of the failures, and that edge
// is a curved surface over several integer and categorical parameters. Each optimum
// is found by enumerating the integer and categorical grid (the batch through the
// shape of its term: BestOverBatches) with the continuous parameters at their best
// (where their terms are zero). Parameter order in x: sorted names.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "objective_set.h"

namespace knob_bench {
namespace {

// The least `loss(batch)` over the integer batches in [low, high] that `fits` (memory
// grows with the batch, so those that fit are a prefix), for a loss convex in
// log2(batch) with its minimum at `ideal`: the integers either side of `ideal`,
// clamped to that prefix. INFINITY when none fits. Each optimum's enumeration uses
// it in place of a scan over every batch, which cost 0.1-0.2 s at every load.
template <class Fits, class Loss>
double BestOverBatches(int low, int high, double ideal, Fits fits, Loss loss) {
  if (!fits(low)) return INFINITY;
  int largest = low;  // that fits
  while (largest < high) {
    int mid = largest + (high - largest + 1) / 2;
    if (fits(mid)) largest = mid;
    else high = mid - 1;
  }
  int below = static_cast<int>(std::floor(ideal));
  return std::min(loss(std::clamp(below, low, largest)), loss(std::clamp(below + 1, low, largest)));
}

// ---- oom_mlp: batch, dropout, layers, lr, width -------------------------------
// Memory in floats: activations grow with batch x width x layers, parameters with
// their optimiser states with width^2 x layers.
bool MlpFits(double batch, double layers, double width) {
  return 32 * batch * width * layers + 16 * width * width * layers <= std::pow(2.0, 27);
}

// The loss with dropout and learning rate at their best: capacity (wider and deeper
// is better), deep MLPs train worse, the batch is best at 128.
double MlpSizeLoss(double batch, double layers, double width) {
  double capacity = std::log2(width / 16) + 1.5 * std::log2(layers);
  return 0.6 * std::exp(-0.35 * capacity) + 0.004 * std::pow(layers - 3, 2) +
         0.01 * std::pow(std::log2(batch / 128), 2);
}

double OomMlp(const double* x) {
  double batch = x[0], dropout = x[1], layers = x[2], lr = std::log10(x[3]), width = x[4];
  if (!MlpFits(batch, layers, width)) return NAN;
  double best_lr = -2.7 + 0.15 * std::log2(batch / 128) - 0.2 * (std::log2(width / 16) - 3);
  double best_dropout = 0.03 * std::log2(width / 16) + 0.02 * (layers - 1);
  return MlpSizeLoss(batch, layers, width) + 0.5 * std::pow(lr - best_lr, 2) +
         2 * std::pow(dropout - best_dropout, 2);
}

double OomMlpOptimum() {
  double best = INFINITY;
  for (int layers = 1; layers <= 8; ++layers)
    for (int width = 16; width <= 2048; ++width)
      best = std::min(best, BestOverBatches(
                                8, 1024, 128, [&](int batch) { return MlpFits(batch, layers, width); },
                                [&](int batch) { return MlpSizeLoss(batch, layers, width); }));
  return best;
}

// ---- oom_transformer: batch, checkpointing, layers, lr, precision, seq_len ------
// A decoder of width 1024 and 16 heads trained for a fixed time on a 40 GB device.
// Bytes of activations per layer for a batch (Korthikanti et al.'s count at 16-bit:
// 34 s b d + 5 a s^2 b), parameters with Adam states 16 bytes each (18 in mixed
// precision, which keeps an fp32 master copy); checkpointing keeps each layer's
// input and one layer's activations.
bool TransformerFits(double batch, bool checkpointing, double layers, int precision, double seq) {
  const double d = 1024, heads = 16;
  double scale = precision == 0 ? 2 : 1;
  double one_layer = scale * seq * batch * (34 * d + 5 * heads * seq);
  double activations = checkpointing ? layers * scale * 2 * seq * batch * d + one_layer : layers * one_layer;
  double parameters = layers * 12 * d * d * (precision == 0 ? 16 : 18);
  return activations + parameters <= 40e9;
}

// The loss with the learning rate at its best. Tokens seen in the fixed time fall
// with depth, recomputation (checkpointing) and fp32; parameters and context help;
// batches far from about 2^20 tokens waste them.
double TransformerSizeLoss(double batch, bool checkpointing, double layers, int precision, double seq) {
  double cost = layers * (checkpointing ? 1.33 : 1.0) * (precision == 0 ? 2.5 : 1.0) * (1 + seq / 6144);
  double params = layers * 12.6, tokens = 2e4 / cost;  // millions
  double precision_cost[3] = {0, 0.003, 0};
  return 4.0 * std::pow(params, -0.34) + 6.0 * std::pow(tokens, -0.28) + 0.15 * std::pow(256 / seq, 0.5) +
         0.01 * std::pow(std::log2(batch * seq) - 20, 2) + precision_cost[precision];
}

double OomTransformer(const double* x) {
  double batch = x[0], layers = x[2], lr = std::log10(x[3]), seq = x[5];
  bool checkpointing = Idx(x[1]) == 1;
  int precision = Idx(x[4]);
  if (!TransformerFits(batch, checkpointing, layers, precision, seq)) return NAN;
  double best_lr = -3.0 - 0.5 * std::log10(layers / 12) + 0.3 * std::log10(batch * seq / 524288);
  double excess = lr - best_lr;
  if (excess > (precision == 2 ? 0.15 : 0.5)) return NAN;  // diverges; fp16 overflows sooner
  return TransformerSizeLoss(batch, checkpointing, layers, precision, seq) + 0.2 * excess * excess;
}

double OomTransformerOptimum() {
  double best = INFINITY;
  for (int checkpointing = 0; checkpointing < 2; ++checkpointing)
    for (int precision = 0; precision < 3; ++precision)
      for (int layers = 2; layers <= 48; ++layers)
        for (int seq = 256; seq <= 4096; seq += 256)
          best = std::min(best, BestOverBatches(
                                    1, 512, 1048576.0 / seq,
                                    [&](int batch) { return TransformerFits(batch, checkpointing, layers, precision, seq); },
                                    [&](int batch) { return TransformerSizeLoss(batch, checkpointing, layers, precision, seq); }));
  return best;
}

std::string Info(const char* name, double optimum, const char* space) {
  char number[32];
  std::snprintf(number, sizeof number, "%.17g", optimum);
  return std::string(R"({"name": ")") + name + R"(", "optimum": )" + number +
         R"(, "holdout": true, "family": "memory", "space": )" + space + "}";
}

}  // namespace

std::vector<Objective> MemoryObjectives() {
  std::vector<Objective> all;
  all.push_back({Info("oom_mlp", OomMlpOptimum(),
                      R"({"batch": {"type": "int", "low": 8, "high": 1024, "log": true},
                          "dropout": {"type": "float", "low": 0.0, "high": 0.5},
                          "layers": {"type": "int", "low": 1, "high": 8},
                          "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": true},
                          "width": {"type": "int", "low": 16, "high": 2048, "log": true}})"),
                 OomMlp});
  all.push_back({Info("oom_transformer", OomTransformerOptimum(),
                      R"({"batch": {"type": "int", "low": 1, "high": 512, "log": true},
                          "checkpointing": {"type": "categorical", "choices": ["off", "on"]},
                          "layers": {"type": "int", "low": 2, "high": 48},
                          "lr": {"type": "float", "low": 1e-6, "high": 1e-2, "log": true},
                          "precision": {"type": "categorical", "choices": ["fp32", "bf16", "fp16"]},
                          "seq_len": {"type": "int", "low": 256, "high": 4096, "step": 256}})"),
                 OomTransformer});
  return all;
}

}  // namespace knob_bench
