// Training-space proxies with mixed and conditional parameters and interactions,
// written after every default was chosen: family "mixed". Each names its
// parameters' roles; values are a validation loss shape with optimum 0 (or the
// stated optimum). Parameter order in x: sorted names.
#include <cmath>

#include "objective_set.h"

namespace knob_bench {
std::vector<Objective> MixedProxyObjectives() {
  std::vector<Objective> all;
  // Sorted: batch, dropout, layers, lr, optimizer, warmup. The best learning rate
  // grows with the batch (linear scaling) and depends on the optimizer; the best
  // dropout grows with depth; warmup matters more for deep models.
  all.push_back({R"({"name": "transformer_proxy", "optimum": 0, "holdout": true, "family": "mixed",
      "space": {"lr": {"type": "float", "low": 1e-5, "high": 1e-1, "log": true},
                "layers": {"type": "int", "low": 1, "high": 12},
                "optimizer": {"type": "categorical", "choices": ["adamw", "sgd", "adafactor"]},
                "batch": {"type": "int", "low": 8, "high": 512, "log": true},
                "dropout": {"type": "float", "low": 0.0, "high": 0.5},
                "warmup": {"type": "int", "low": 0, "high": 2000, "step": 100}}})",
      [](const double* x) {
        double batch = x[0], dropout = x[1], layers = x[2], lr = x[3], warmup = x[5];
        int opt = Idx(x[4]);
        double lr_shift[3] = {0.0, 1.0, 0.3};
        double best_lr = -3.5 + 0.5 * std::log2(batch / 64) / std::log2(10.0) * 2 + lr_shift[opt];
        double l = std::log10(lr) - best_lr;
        double best_dropout = 0.02 * layers;
        double best_warmup = 100 * layers;
        double opt_cost[3] = {0.0, 0.25, 0.08};
        return l * l + 4 * std::pow(dropout - best_dropout, 2) + 0.02 * std::pow(layers - 8, 2) +
               std::pow((warmup - best_warmup) / 1000, 2) * (layers / 6) + opt_cost[opt] +
               0.05 * std::pow(std::log2(batch) - 6, 2) / 4;
      }});
  // Sorted: booster, colsample, depth, eta, rounds, subsample. eta * rounds is what
  // matters (about 30); deep trees want lower eta; gblinear ignores depth.
  all.push_back({R"({"name": "xgboost_proxy", "optimum": 0, "holdout": true, "family": "mixed",
      "space": {"booster": {"type": "categorical", "choices": ["gbtree", "dart", "gblinear"]},
                "colsample": {"type": "float", "low": 0.1, "high": 1.0, "step": 0.1},
                "depth": {"type": "int", "low": 1, "high": 12},
                "eta": {"type": "float", "low": 1e-3, "high": 1.0, "log": true},
                "rounds": {"type": "int", "low": 10, "high": 2000, "log": true},
                "subsample": {"type": "float", "low": 0.5, "high": 1.0}}})",
      [](const double* x) {
        int booster = Idx(x[0]);
        double colsample = x[1], depth = x[2], eta = x[3], rounds = x[4], subsample = x[5];
        double budget = std::log10(eta * rounds) - std::log10(30.0) + 0.05 * (depth - 6);
        double base[3] = {0.0, 0.05, 0.3};
        double depth_cost = booster == 2 ? 0 : 0.01 * std::pow(depth - 6, 2);
        return budget * budget + depth_cost + base[booster] + 0.5 * std::pow(colsample - 0.7, 2) +
               0.8 * std::pow(subsample - 0.85, 2) + 0.02 * std::fabs(std::log10(eta) + 1.5);
      }});
  // Sorted: beta1, lr, momentum, optimizer, width. momentum only for sgd, beta1
  // only for adam; each optimizer has its own best learning rate.
  all.push_back({R"({"name": "cnn_conditional", "optimum": 0, "holdout": true, "family": "mixed",
      "space": {"optimizer": {"type": "categorical", "choices": ["sgd", "adam"]},
                "lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": true},
                "width": {"type": "int", "low": 16, "high": 512, "log": true},
                "momentum": {"type": "float", "low": 0.0, "high": 0.99, "when": {"optimizer": "sgd"}},
                "beta1": {"type": "float", "low": 0.5, "high": 0.999, "when": {"optimizer": "adam"}}}})",
      [](const double* x) {
        double lr = std::log10(x[1]), width = std::log2(x[4]) - 7;
        if (Idx(x[3]) == 0) {
          double m = std::isnan(x[2]) ? 0.5 : x[2];
          return std::pow(lr + 1 + 2 * (m - 0.9), 2) + 3 * std::pow(m - 0.9, 2) + 0.05 * width * width;
        }
        double b = std::isnan(x[0]) ? 0.7 : x[0];
        return 0.03 + std::pow(lr + 3.3, 2) + 8 * std::pow(b - 0.9, 2) + 0.05 * width * width;
      }});
  // Sorted: gamma, lr, lr_schedule, step, weight_decay. step and gamma exist only
  // for the step schedule; the cosine schedule is best with a larger rate.
  all.push_back({R"({"name": "schedule_proxy", "optimum": 0, "holdout": true, "family": "mixed",
      "space": {"lr_schedule": {"type": "categorical", "choices": ["constant", "cosine", "step"]},
                "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": true},
                "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-1, "log": true},
                "step": {"type": "int", "low": 1, "high": 50, "when": {"lr_schedule": "step"}},
                "gamma": {"type": "float", "low": 0.1, "high": 0.9, "when": {"lr_schedule": "step"}}}})",
      [](const double* x) {
        int schedule = Idx(x[2]);
        double lr = std::log10(x[1]), wd = std::log10(x[4]) + 4;
        double best_lr[3] = {-2.5, -1.6, -2.0};
        double base[3] = {0.2, 0.0, 0.0};
        double v = std::pow(lr - best_lr[schedule], 2) + 0.05 * wd * wd + base[schedule] + 0.1 * std::fabs(wd * (lr + 2));
        if (schedule == 2) {
          double step = std::isnan(x[3]) ? 25 : x[3], gamma = std::isnan(x[0]) ? 0.5 : x[0];
          v += 0.0004 * std::pow(step - 20, 2) + std::pow(gamma - 0.3, 2) + 0.05;
        }
        return v;
      }});
  return all;
}

}  // namespace knob_bench
