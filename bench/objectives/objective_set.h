// One benchmark objective as the shared library holds it (see objectives.h), and
// the sets beyond the original sixteen: BBOB-like continuous functions, mixed and
// conditional training-space proxies, lookups in the real HPO tables of
// shared/hpo-tables (loaded when KNOB_HPO_TABLES names their folder), and training
// proxies that diverge or run out of memory, and spaces where few of many
// parameters matter.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace knob_bench {

struct Objective {
  std::string info;  // JSON, see objectives.h; new sets carry a "family"
  std::function<double(const double*)> f;
  double noise = 0;  // standard deviation of additive noise
};

// A categorical parameter's choice index from its value in x.
inline int Idx(double v) { return static_cast<int>(std::lround(v)); }

std::vector<Objective> BbobObjectives();
std::vector<Objective> MixedProxyObjectives();
std::vector<Objective> DivergentObjectives();
std::vector<Objective> MemoryObjectives();
std::vector<Objective> SparseObjectives();

// Test functions the sets share (objectives.cc): Branin (two variables) and
// Hartmann in d = 3 or 6 variables over [0, 1].
double Branin(double x1, double x2);
double Hartmann(const double* x, int d);
// Empty when `folder` is empty or unreadable (the message goes to stderr).
std::vector<Objective> TableObjectives(const std::string& folder);

}  // namespace knob_bench
