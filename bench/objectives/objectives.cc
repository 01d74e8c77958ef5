#include "objectives.h"

#include <cstdlib>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "objective_set.h"

namespace knob_bench {

double Branin(double x1, double x2) {
  const double pi = M_PI;
  return std::pow(x2 - 5.1 / (4 * pi * pi) * x1 * x1 + 5 / pi * x1 - 6, 2) +
         10 * (1 - 1 / (8 * pi)) * std::cos(x1) + 10;
}

double Hartmann(const double* x, int d) {
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double a3[4][3] = {{3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}};
  static const double p3[4][3] = {{0.3689, 0.1170, 0.2673}, {0.4699, 0.4387, 0.7470},
                                  {0.1091, 0.8732, 0.5547}, {0.0381, 0.5743, 0.8828}};
  static const double a6[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14},
                                  {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
  static const double p6[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                  {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                  {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                  {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < d; ++j) {
      double a = d == 3 ? a3[i][j] : a6[i][j], p = d == 3 ? p3[i][j] : p6[i][j];
      inner += a * (x[j] - p) * (x[j] - p);
    }
    sum += alpha[i] * std::exp(-inner);
  }
  return -sum;
}

}  // namespace knob_bench

namespace {

using knob_bench::Branin;
using knob_bench::Hartmann;
using knob_bench::Idx;
using knob_bench::Objective;

double Ackley(const double* x, int d) {
  double s1 = 0, s2 = 0;
  for (int i = 0; i < d; ++i) {
    s1 += x[i] * x[i];
    s2 += std::cos(2 * M_PI * x[i]);
  }
  return -20 * std::exp(-0.2 * std::sqrt(s1 / d)) - std::exp(s2 / d) + 20 + M_E;
}

double Rosenbrock(const double* x, int d) {
  double s = 0;
  for (int i = 0; i + 1 < d; ++i) s += 100 * std::pow(x[i + 1] - x[i] * x[i], 2) + std::pow(1 - x[i], 2);
  return s;
}

double Levy(const double* x, int d) {
  auto w = [&](int i) { return 1 + (x[i] - 1) / 4; };
  double s = std::pow(std::sin(M_PI * w(0)), 2);
  for (int i = 0; i + 1 < d; ++i)
    s += std::pow(w(i) - 1, 2) * (1 + 10 * std::pow(std::sin(M_PI * w(i) + 1), 2));
  s += std::pow(w(d - 1) - 1, 2) * (1 + std::pow(std::sin(2 * M_PI * w(d - 1)), 2));
  return s;
}

double StyblinskiTang(const double* x, int d) {
  double s = 0;
  for (int i = 0; i < d; ++i) s += std::pow(x[i], 4) - 16 * x[i] * x[i] + 5 * x[i];
  return s / 2;
}

// A fixed table of category costs: five categoricals of four choices and one interaction.
double CategoryCost(int param, int choice) {
  static const double table[5][4] = {{0.8, 0.1, 0.5, 0.9}, {0.3, 0.7, 0.0, 0.6}, {0.4, 0.4, 0.9, 0.05},
                                     {0.2, 0.9, 0.6, 0.5}, {0.75, 0.35, 0.15, 0.95}};
  return table[param][choice];
}
double CategoryInteraction(int a, int b) {
  static const double table[4][4] = {{0.5, 0.2, 0.6, 0.3}, {0.4, 0.0, 0.7, 0.5},
                                     {0.1, 0.6, 0.3, 0.8}, {0.9, 0.3, 0.2, 0.4}};
  return table[a][b];
}

std::vector<Objective> OriginalObjectives() {
  return {
      {R"({"name": "branin", "optimum": 0.39788735772973816, "holdout": false,
           "space": {"x1": {"type": "float", "low": -5, "high": 10}, "x2": {"type": "float", "low": 0, "high": 15}}})",
       [](const double* x) { return Branin(x[0], x[1]); }},
      {R"({"name": "hartmann6", "optimum": -3.3223680114155, "holdout": false,
           "space": {"x0": {"type": "float", "low": 0, "high": 1}, "x1": {"type": "float", "low": 0, "high": 1},
                     "x2": {"type": "float", "low": 0, "high": 1}, "x3": {"type": "float", "low": 0, "high": 1},
                     "x4": {"type": "float", "low": 0, "high": 1}, "x5": {"type": "float", "low": 0, "high": 1}}})",
       [](const double* x) { return Hartmann(x, 6); }},
      {R"({"name": "rosenbrock4", "optimum": 0.0, "holdout": false,
           "space": {"x0": {"type": "float", "low": -2, "high": 2}, "x1": {"type": "float", "low": -2, "high": 2},
                     "x2": {"type": "float", "low": -2, "high": 2}, "x3": {"type": "float", "low": -2, "high": 2}}})",
       [](const double* x) { return Rosenbrock(x, 4); }},
      // Sorted names: batch, dropout, layers, lr, optimizer.
      {R"({"name": "mlp_proxy", "optimum": 0.0, "holdout": false,
           "space": {"lr": {"type": "float", "low": 1e-5, "high": 1.0, "log": true},
                     "batch": {"type": "int", "low": 16, "high": 512, "log": true},
                     "dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.05},
                     "optimizer": {"type": "categorical", "choices": ["adamw", "sgd", "rmsprop"]},
                     "layers": {"type": "int", "low": 1, "high": 6}}})",
       [](const double* x) {
         double batch = std::log2(x[0]) - 6, dropout = x[1] - 0.2, layers = x[2] - 3,
                lr = std::log10(x[3]) + 2.5;
         double opt[3] = {0.0, 0.6, 0.25};
         return lr * lr + 0.25 * batch * batch + 4 * dropout * dropout + 0.1 * layers * layers +
                opt[Idx(x[4])] + 0.8 * std::fabs(lr * dropout) + 0.05 * std::fabs(batch * lr);
       }},
      {R"({"name": "ackley3_stepped", "optimum": 0.0, "holdout": false,
           "space": {"x0": {"type": "float", "low": -5, "high": 5, "step": 0.25},
                     "x1": {"type": "float", "low": -5, "high": 5, "step": 0.25},
                     "x2": {"type": "float", "low": -5, "high": 5, "step": 0.25}}})",
       [](const double* x) { return Ackley(x, 3); }},
      {R"({"name": "int_quadratic4", "optimum": 0.0, "holdout": false,
           "space": {"a": {"type": "int", "low": -10, "high": 10}, "b": {"type": "int", "low": -10, "high": 10},
                     "c": {"type": "int", "low": 0, "high": 100, "step": 5}, "d": {"type": "int", "low": 1, "high": 1000, "log": true}}})",
       [](const double* x) {
         return std::pow(x[0] - 3, 2) + std::pow(x[1] + 2, 2) + std::pow((x[2] - 35) / 5, 2) +
                std::pow(std::log2(x[3]) - std::log2(40), 2);
       }},
      // Sorted names: c0..c4, x.
      {R"({"name": "categorical5", "optimum": 1.2, "holdout": false,
           "space": {"c0": {"type": "categorical", "choices": ["a", "b", "c", "d"]},
                     "c1": {"type": "categorical", "choices": ["a", "b", "c", "d"]},
                     "c2": {"type": "categorical", "choices": ["a", "b", "c", "d"]},
                     "c3": {"type": "categorical", "choices": ["a", "b", "c", "d"]},
                     "c4": {"type": "categorical", "choices": ["a", "b", "c", "d"]},
                     "x": {"type": "float", "low": 0, "high": 1}}})",
       [](const double* x) {
         double s = 0;
         for (int i = 0; i < 5; ++i) s += CategoryCost(i, Idx(x[i]));
         return s + CategoryInteraction(Idx(x[0]), Idx(x[1])) + std::pow(x[5] - 0.3, 2);
       }},
      // Sorted names: alpha, depth, leaf, lr, model, width. Only the chosen model's params count.
      {R"({"name": "conditional_models", "optimum": 0.0, "holdout": false,
           "conditional": {"alpha": ["model", "linear"], "depth": ["model", "tree"], "leaf": ["model", "tree"],
                           "lr": ["model", "net"], "width": ["model", "net"]},
           "space": {"model": {"type": "categorical", "choices": ["linear", "tree", "net"]},
                     "alpha": {"type": "float", "low": 1e-4, "high": 10, "log": true},
                     "depth": {"type": "int", "low": 1, "high": 12},
                     "leaf": {"type": "int", "low": 1, "high": 50},
                     "lr": {"type": "float", "low": 1e-4, "high": 1, "log": true},
                     "width": {"type": "int", "low": 8, "high": 256, "log": true}}})",
       [](const double* x) {
         switch (Idx(x[4])) {
           case 0: return std::pow(std::log10(x[0]) + 1, 2) + 0.3;
           case 1: return std::pow((x[1] - 7) / 3, 2) + 0.3 * std::pow(std::log(x[2] / 5), 2) + 0.1;
           default: return std::pow(std::log10(x[3]) + 2, 2) + std::pow(std::log2(x[5]) - 6, 2) / 8;
         }
       }},
      {R"({"name": "hartmann3_noisy", "optimum": -3.86278214782076, "holdout": false,
           "space": {"x0": {"type": "float", "low": 0, "high": 1}, "x1": {"type": "float", "low": 0, "high": 1},
                     "x2": {"type": "float", "low": 0, "high": 1}}})",
       [](const double* x) { return Hartmann(x, 3); }, 0.1},
      // First held out, then seen while choosing n_mixed_candidates: no longer held out.
      {R"({"name": "levy4", "optimum": 0.0, "holdout": false,
           "space": {"x0": {"type": "float", "low": -10, "high": 10}, "x1": {"type": "float", "low": -10, "high": 10},
                     "x2": {"type": "float", "low": -10, "high": 10}, "x3": {"type": "float", "low": -10, "high": 10}}})",
       [](const double* x) { return Levy(x, 4); }},
      {R"({"name": "styblinski_tang3", "optimum": -117.4979710206, "holdout": false,
           "space": {"x0": {"type": "float", "low": -5, "high": 5}, "x1": {"type": "float", "low": -5, "high": 5},
                     "x2": {"type": "float", "low": -5, "high": 5}}})",
       [](const double* x) { return StyblinskiTang(x, 3); }},
      // Sorted names: booster, depth, eta, rounds.
      {R"({"name": "gbm_proxy", "optimum": 0.0, "holdout": false,
           "space": {"eta": {"type": "float", "low": 1e-3, "high": 1, "log": true},
                     "depth": {"type": "int", "low": 2, "high": 16},
                     "rounds": {"type": "int", "low": 10, "high": 2000, "step": 10},
                     "booster": {"type": "categorical", "choices": ["gbtree", "dart", "linear"]}}})",
       [](const double* x) {
         double eta = std::log10(x[2]) + 1.3, depth = (x[1] - 6) / 4, rounds = std::log10(x[3] / 500);
         double booster[3] = {0.0, 0.1, 0.7};
         return std::pow(eta + rounds, 2) + 0.3 * eta * eta + depth * depth + booster[Idx(x[0])];
       }},
      // Added after gamma was chosen, then seen while choosing n_mixed_candidates.
      {R"({"name": "six_hump_camel", "optimum": -1.0316284534898774, "holdout": false,
           "space": {"x": {"type": "float", "low": -3, "high": 3}, "y": {"type": "float", "low": -2, "high": 2}}})",
       [](const double* x) {
         double a = x[0], b = x[1];
         return (4 - 2.1 * a * a + a * a * a * a / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b;
       }},
      // Sorted names: C, degree, gamma, kernel. degree only for the poly kernel.
      {R"({"name": "svm_proxy", "optimum": 0.05, "holdout": false,
           "conditional": {"degree": ["kernel", "poly"]},
           "space": {"C": {"type": "float", "low": 1e-3, "high": 1e3, "log": true},
                     "gamma": {"type": "float", "low": 1e-4, "high": 10, "log": true},
                     "kernel": {"type": "categorical", "choices": ["rbf", "poly", "linear"]},
                     "degree": {"type": "int", "low": 2, "high": 5}}})",
       [](const double* x) {
         double c = std::log10(x[0]), g = std::log10(x[2]);
         switch (Idx(x[3])) {
           case 0: return 0.05 + 0.1 * std::pow(c - 1.5, 2) + 0.2 * std::pow(g + 2, 2) + 0.05 * std::fabs((c - 1.5) * (g + 2));
           case 1: return 0.12 + 0.1 * std::pow(c - 0.5, 2) + 0.1 * std::pow(g + 1, 2) + 0.03 * std::pow(x[1] - 3, 2);
           default: return 0.2 + 0.1 * std::pow(c, 2);
         }
       }},
      // Added after every default was chosen: seen by no tuning run at all.
      {R"({"name": "michalewicz2", "optimum": -1.8013034100985532, "holdout": true,
           "space": {"x0": {"type": "float", "low": 0, "high": 3.141592653589793},
                     "x1": {"type": "float", "low": 0, "high": 3.141592653589793}}})",
       [](const double* x) {
         double s = 0;
         for (int i = 0; i < 2; ++i) s -= std::sin(x[i]) * std::pow(std::sin((i + 1) * x[i] * x[i] / M_PI), 20);
         return s;
       }},
      // Sorted names: activation, batch, gamma, layers.
      {R"({"name": "rl_proxy", "optimum": 0.0, "holdout": true,
           "space": {"gamma": {"type": "float", "low": 0.9, "high": 0.9999},
                     "batch": {"type": "int", "low": 32, "high": 4096, "log": true},
                     "layers": {"type": "int", "low": 1, "high": 4},
                     "activation": {"type": "categorical", "choices": ["relu", "tanh", "elu"]}}})",
       [](const double* x) {
         double act[3] = {0.0, 0.3, 0.1};
         double g = std::log10(1 - x[2]) + 2.3, b = std::log2(x[1]) - 8, l = x[3] - 2;
         return g * g + 0.2 * b * b + 0.15 * l * l + act[Idx(x[0])] + 0.1 * std::fabs(g * b);
       }},
  };
}

// The original sixteen (families "synthetic" and "proxy", as bench/sampler_quality.py
// names them), then the newer sets.
const std::vector<Objective>& Objectives() {
  static const std::vector<Objective> all = [] {
    std::vector<Objective> objectives = OriginalObjectives();
    for (auto set : {knob_bench::BbobObjectives(), knob_bench::MixedProxyObjectives()})
      objectives.insert(objectives.end(), set.begin(), set.end());
    const char* tables = std::getenv("KNOB_HPO_TABLES");
    auto loaded = knob_bench::TableObjectives(tables ? tables : "");
    objectives.insert(objectives.end(), loaded.begin(), loaded.end());
    // After the tables, newest last: peers' caches name problems by index.
    for (auto set : {knob_bench::DivergentObjectives(), knob_bench::MemoryObjectives(),
                     knob_bench::SparseObjectives()})
      objectives.insert(objectives.end(), set.begin(), set.end());
    return objectives;
  }();
  return all;
}

}  // namespace

extern "C" {

int knob_objective_count() { return static_cast<int>(Objectives().size()); }

const char* knob_objective_info(int index) { return Objectives().at(index).info.c_str(); }

double knob_objective_eval(int index, const double* x, int n, long noise_seed) {
  const Objective& o = Objectives().at(index);
  double value = o.f(x);
  if (o.noise > 0 && noise_seed >= 0) {
    uint64_t h = static_cast<uint64_t>(noise_seed) * 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < n; ++i) {
      uint64_t bits;
      double v = std::isnan(x[i]) ? 0.0 : x[i];
      std::memcpy(&bits, &v, sizeof bits);
      h = (h ^ bits) * 0x100000001b3ULL;
    }
    std::mt19937_64 rng(h);
    value += std::normal_distribution<double>(0.0, o.noise)(rng);
  }
  return value;
}

}  // extern "C"
