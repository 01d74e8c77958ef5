// Training-space proxies where part of the space diverges, as real trainers do
// above some learning rate: family "divergent", written after every default was
// chosen. The best learning rate sits just below the edge where training blows up;
// beyond it the loss explodes (a finite value many orders of magnitude above the
// good ones) or is NaN (knob and Optuna both record a failed trial). Optimum 0.
// Parameter order in x: sorted names.
#include <cmath>

#include "objective_set.h"

namespace knob_bench {
namespace {

// What diverging does to a loss: `excess` decades of learning rate past the edge.
double Exploded(double excess) { return 1e3 * std::pow(10.0, 4 * excess); }

// Sorted: batch, dropout, lr, weight_decay. The best learning rate grows with the
// batch; training diverges 4x above it.
double MlpLoss(const double* x, bool nan_beyond_edge) {
  double batch = std::log2(x[0] / 64), dropout = x[1], lr = std::log10(x[2]), wd = std::log10(x[3]) + 4;
  double best_lr = -2.5 + 0.15 * batch, edge = best_lr + 0.6;
  double loss = std::pow(lr - best_lr, 2) + 3 * std::pow(dropout - 0.2, 2) + 0.05 * wd * wd +
                0.02 * std::pow(batch - 1, 2);
  if (lr <= edge) return loss;
  return nan_beyond_edge ? NAN : loss + Exploded(lr - edge);
}

}  // namespace

std::vector<Objective> DivergentObjectives() {
  const char* mlp_space = R"("space": {"batch": {"type": "int", "low": 16, "high": 1024, "log": true},
                "dropout": {"type": "float", "low": 0.0, "high": 0.6},
                "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": true},
                "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-1, "log": true}})";
  std::vector<Objective> all;
  all.push_back({std::string(R"({"name": "exploding_mlp", "optimum": 0, "holdout": true, "family": "divergent", )") +
                     mlp_space + "}",
                 [](const double* x) { return MlpLoss(x, false); }});
  all.push_back({std::string(R"({"name": "nan_mlp", "optimum": 0, "holdout": true, "family": "divergent", )") +
                     mlp_space + "}",
                 [](const double* x) { return MlpLoss(x, true); }});
  // Sorted: layers, lr, optimizer, warmup. sgd takes a 10x larger rate than adam
  // and diverges 3x above its best; warmup lets deep models take more; failed
  // (NaN) beyond the edge.
  all.push_back({R"({"name": "nan_transformer", "optimum": 0, "holdout": true, "family": "divergent",
      "space": {"layers": {"type": "int", "low": 1, "high": 24},
                "lr": {"type": "float", "low": 1e-6, "high": 1.0, "log": true},
                "optimizer": {"type": "categorical", "choices": ["adam", "sgd"]},
                "warmup": {"type": "int", "low": 0, "high": 5000, "step": 250}}})",
      [](const double* x) {
        double layers = x[0], lr = std::log10(x[1]), warmup = x[3] / 1000;
        int sgd = Idx(x[2]);
        double best_lr = -3.5 + sgd - 0.03 * (layers - 12);
        double edge = best_lr + 0.48 + 0.1 * warmup;
        if (lr > edge) return static_cast<double>(NAN);
        return std::pow(lr - best_lr, 2) + 0.002 * std::pow(layers - 16, 2) + 0.05 * sgd +
               0.01 * std::pow(warmup - 0.0625 * layers, 2);
      }});
  return all;
}

}  // namespace knob_bench
