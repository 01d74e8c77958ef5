// A regression forest in the manner of scikit-learn's RandomForestRegressor with
// its defaults (bootstrap samples, every feature considered at every split, the
// split that most lowers the squared error, grown until leaves are pure): what
// fANOVA (fanova.h) decomposes. Each tree is kept as its leaves, each an
// axis-aligned box of the feature space with the mean target of its samples.
// Pure computation, seeded and deterministic.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace knob {

struct ForestOptions {
  int trees = 64;
  int max_depth = 64;
  uint64_t seed = 0;
};

// One leaf: lower and upper bound per feature (the whole range where it never split).
struct ForestLeaf {
  std::vector<double> low;
  std::vector<double> high;
  double value = 0;
};

struct RegressionTree {
  std::vector<ForestLeaf> leaves;
  // Every threshold the tree splits each feature at, sorted and distinct.
  std::vector<std::vector<double>> thresholds;
};

// `rows[i]` holds sample i's features (all of one length), `bounds[f]` feature f's
// range; `targets[i]` its value. Needs at least one row.
std::vector<RegressionTree> FitForest(const std::vector<std::vector<double>>& rows,
                                      const std::vector<double>& targets,
                                      const std::vector<std::pair<double, double>>& bounds,
                                      const ForestOptions& options);

}  // namespace knob
