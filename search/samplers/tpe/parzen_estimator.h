// The Parzen estimator of TPE: a weighted mixture of one kernel per observation
// plus a prior kernel, over a product of dimensions (truncated normal for numbers,
// probability mass on the step grid for stepped and integer ones, a smoothed
// indicator for categoricals). Built from observations in the transformed space
// that TpeDimension defines; samples candidates and scores them by log density.
// Pure math with no policy; the TPE sampler decides what to feed it.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "search/distribution.h"
#include "search/samplers/rng.h"

namespace knob {

// One dimension of a TPE space in the coordinates the estimator works in: log
// parameters in log space; stepped and integer parameters widened by half a step
// on each side; categoricals by choice index.
struct TpeDimension {
  enum class Kind { kContinuous, kDiscrete, kCategorical };
  Kind kind = Kind::kContinuous;
  double low = 0, high = 0;  // transformed bounds
  bool log = false;
  double step = 0;                       // discrete, in the parameter's own units
  double value_low = 0, value_high = 0;  // the parameter's own bounds
  int n_choices = 0;                     // categorical

  static TpeDimension Of(const Distribution& distribution);
  double Transform(double internal) const;
  // A transformed point back to a valid internal value (snapped to the step grid).
  double Untransform(double y) const;
  // The transformed cell [lo, hi] a discrete value covers.
  void Cell(double y, double* lo, double* hi) const;
};

enum class TpeBandwidth {
  kNeighbor,  // per dimension, from the distances to neighbouring observations
  kScott,     // 0.2 * n^(-1/(d+4)) * range, d = all dimensions (Optuna 3.1 multivariate)
};

struct ParzenOptions {
  double prior_weight = 1.0;
  bool magic_clip = true;  // sigma >= range / min(100, 1 + #kernels)
  TpeBandwidth bandwidth = TpeBandwidth::kNeighbor;
  double bandwidth_factor = 1.0;  // scales every observation kernel's sigma
};

class ParzenEstimator {
 public:
  // `columns[d][i]` is observation i's transformed value in dimension d;
  // `weights` (one per observation, >= 0) are normalised together with the prior's.
  ParzenEstimator(std::vector<TpeDimension> dims, const std::vector<std::vector<double>>& columns,
                  const std::vector<double>& weights, const ParzenOptions& options);

  // `n` points drawn from the mixture, transformed and snapped to each dimension's grid.
  // The last `n_mixed` draw every dimension from its own kernel (the product of the
  // marginals), which reaches combinations no single observation's kernel covers.
  std::vector<std::vector<double>> Sample(Rng& rng, int n, int n_mixed = 0) const;
  // The log density of each point (log mass in discrete and categorical dimensions).
  std::vector<double> LogPdf(const std::vector<std::vector<double>>& points) const;

  size_t n_kernels() const { return weights_.size(); }
  const std::vector<double>& weights() const { return weights_; }
  const std::vector<double>& mus(size_t d) const { return mus_[d]; }
  const std::vector<double>& sigmas(size_t d) const { return sigmas_[d]; }
  // Categorical kernel k's probability of choice c in dimension d.
  double ChoiceProbability(size_t d, size_t k, int c) const;

 private:
  void BuildNumeric(size_t d, const std::vector<double>& values, const ParzenOptions& options,
                    size_t n_dims);
  void BuildCategorical(size_t d, const std::vector<double>& values, const ParzenOptions& options);
  // Log mass of the grid cell at `x` under every kernel of discrete dimension d.
  std::vector<double> DiscreteLogMassRow(size_t d, double x) const;

  std::vector<TpeDimension> dims_;
  std::vector<double> weights_;  // normalised, prior last
  std::vector<std::vector<double>> mus_, sigmas_, inv_sigmas_, log_norm_;  // [dim][kernel]
  std::vector<std::vector<double>> log_probs_;  // categorical: [dim][kernel * n_choices + c]
  std::vector<double> kernel_constant_;         // log w_k + continuous normalisers
  // Discrete dimensions: the distinct (mu, sigma) pairs, and each kernel's pair.
  std::vector<std::vector<std::pair<double, double>>> discrete_shapes_;
  std::vector<std::vector<uint32_t>> discrete_shape_of_;
};

}  // namespace knob
