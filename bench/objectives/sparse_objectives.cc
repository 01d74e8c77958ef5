// Spaces where few of many parameters matter, as in real studies that tune every
// flag a training script exposes: family "sparse", written after every default was
// chosen and not used to choose any. Two known functions hidden among parameters
// that change nothing (every kind: float, log float, stepped float, int, log int,
// categorical), and a training proxy of twenty hyperparameters where nine matter,
// some of them less than its seed noise. Parameter order in x: sorted names.
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "objective_set.h"

namespace knob_bench {
namespace {

using nlohmann::json;

// `count` parameters no objective reads, named d00, d01, ..., cycling through the kinds.
json Distractors(int count) {
  const json kinds[] = {
      {{"type", "float"}, {"low", 0.0}, {"high", 1.0}},
      {{"type", "float"}, {"low", 1e-4}, {"high", 1.0}, {"log", true}},
      {{"type", "int"}, {"low", 1}, {"high", 100}},
      {{"type", "int"}, {"low", 1}, {"high", 1024}, {"log", true}},
      {{"type", "categorical"}, {"choices", {"a", "b", "c", "d"}}},
      {{"type", "float"}, {"low", 0.0}, {"high", 1.0}, {"step", 0.05}},
  };
  json space = json::object();
  for (int i = 0; i < count; ++i) {
    char name[8];
    std::snprintf(name, sizeof name, "d%02d", i);
    space[name] = kinds[i % 6];
  }
  return space;
}

// Each name's position in x (the space's names sorted; json objects keep keys sorted).
std::map<std::string, int> Positions(const json& space) {
  std::map<std::string, int> at;
  int i = 0;
  for (const auto& item : space.items()) at[item.key()] = i++;
  return at;
}

std::string Info(const char* name, double optimum, const json& space) {
  json info = {{"name", name}, {"optimum", optimum}, {"holdout", true}, {"family", "sparse"}, {"space", space}};
  return info.dump();
}

// Branin over x1, x2 among 22 distractors (24 parameters).
Objective SparseBranin() {
  json space = Distractors(22);
  space["x1"] = {{"type", "float"}, {"low", -5.0}, {"high", 10.0}};
  space["x2"] = {{"type", "float"}, {"low", 0.0}, {"high", 15.0}};
  auto at = Positions(space);
  int i1 = at["x1"], i2 = at["x2"];
  return {Info("sparse_branin", 0.39788735772973816, space), [=](const double* x) { return Branin(x[i1], x[i2]); }};
}

// Hartmann6 over h0..h5 among 24 distractors (30 parameters).
Objective SparseHartmann6() {
  json space = Distractors(24);
  for (int j = 0; j < 6; ++j) space["h" + std::to_string(j)] = {{"type", "float"}, {"low", 0.0}, {"high", 1.0}};
  auto at = Positions(space);
  std::vector<int> h;
  for (int j = 0; j < 6; ++j) h.push_back(at["h" + std::to_string(j)]);
  return {Info("sparse_hartmann6", -3.3223680114155, space), [=](const double* x) {
            double v[6];
            for (int j = 0; j < 6; ++j) v[j] = x[h[j]];
            return Hartmann(v, 6);
          }};
}

// A fine-tuning run's twenty flags; validation loss above its best, with seed
// noise of 0.005. What matters: the learning rate (its best grows with the batch
// and depends on the optimizer), batch and width (best 64 and 512), dropout (its
// best grows with the width), weight decay (adamw wants 1e-2, the others 1e-4),
// warmup, label smoothing, and the optimizer's and scheduler's own costs (0.004 to
// 0.03, about the noise). The other eleven change nothing. Optimum 0: adamw,
// cosine, batch 64, width 512, the rest at their best.
Objective SparseMlpNoisy() {
  json space = {
      {"lr", {{"type", "float"}, {"low", 1e-5}, {"high", 1.0}, {"log", true}}},
      {"batch", {{"type", "int"}, {"low", 8}, {"high", 1024}, {"log", true}}},
      {"width", {{"type", "int"}, {"low", 16}, {"high", 2048}, {"log", true}}},
      {"dropout", {{"type", "float"}, {"low", 0.0}, {"high", 0.5}}},
      {"optimizer", {{"type", "categorical"}, {"choices", {"adamw", "adam", "sgd", "rmsprop"}}}},
      {"weight_decay", {{"type", "float"}, {"low", 1e-6}, {"high", 1e-1}, {"log", true}}},
      {"warmup_ratio", {{"type", "float"}, {"low", 0.0}, {"high", 0.3}}},
      {"label_smoothing", {{"type", "float"}, {"low", 0.0}, {"high", 0.3}, {"step", 0.01}}},
      {"scheduler", {{"type", "categorical"}, {"choices", {"linear", "cosine", "constant"}}}},
      {"adam_beta2", {{"type", "float"}, {"low", 0.9}, {"high", 0.999}}},
      {"grad_clip", {{"type", "float"}, {"low", 0.1}, {"high", 10.0}, {"log", true}}},
      {"num_workers", {{"type", "int"}, {"low", 0}, {"high", 16}}},
      {"logging_steps", {{"type", "int"}, {"low", 10}, {"high", 1000}, {"log", true}}},
      {"fp16", {{"type", "categorical"}, {"choices", {"no", "yes"}}}},
      {"pin_memory", {{"type", "categorical"}, {"choices", {"no", "yes"}}}},
      {"eval_steps", {{"type", "int"}, {"low", 100}, {"high", 5000}, {"step", 100}}},
      {"init_scale", {{"type", "float"}, {"low", 1e-3}, {"high", 1.0}, {"log", true}}},
      {"seed", {{"type", "int"}, {"low", 0}, {"high", 10000}}},
      {"layer_norm_eps", {{"type", "float"}, {"low", 1e-12}, {"high", 1e-3}, {"log", true}}},
      {"ema", {{"type", "categorical"}, {"choices", {"no", "yes"}}}},
  };
  auto at = Positions(space);
  int lr = at["lr"], batch = at["batch"], width = at["width"], dropout = at["dropout"], opt = at["optimizer"],
      wd = at["weight_decay"], warmup = at["warmup_ratio"], smooth = at["label_smoothing"], sched = at["scheduler"];
  Objective o{Info("sparse_mlp_noisy", 0, space), [=](const double* x) {
                int optimizer = Idx(x[opt]);
                const double lr_shift[4] = {0, 0, 1, -0.5}, opt_cost[4] = {0, 0.006, 0.02, 0.03};
                const double sched_cost[3] = {0.004, 0, 0.015};
                double b = std::log2(x[batch] / 64), w = std::log2(x[width] / 512);
                double best_lr = -3 + 0.5 * b * std::log10(2.0) + lr_shift[optimizer];
                double best_dropout = 0.14 + 0.03 * w;
                double best_wd = optimizer == 0 ? -2 : -4;
                return std::pow(std::log10(x[lr]) - best_lr, 2) + 0.01 * b * b + 0.02 * w * w +
                       3 * std::pow(x[dropout] - best_dropout, 2) + 0.05 * std::pow(std::log10(x[wd]) - best_wd, 2) +
                       (1 + (optimizer == 2)) * std::pow(x[warmup] - 0.06, 2) + 0.5 * std::pow(x[smooth] - 0.1, 2) +
                       opt_cost[optimizer] + sched_cost[Idx(x[sched])];
              }};
  o.noise = 0.005;
  return o;
}

}  // namespace

std::vector<Objective> SparseObjectives() { return {SparseBranin(), SparseHartmann6(), SparseMlpNoisy()}; }

}  // namespace knob_bench
