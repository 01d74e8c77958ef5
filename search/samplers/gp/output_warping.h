// How the GP sampler turns the observed objective values (minimised) into the
// standardised targets its process is fitted to. A monotone map, so the best
// trial stays the best; what changes is which differences the process sees.
//   standard  (y - mean) / sd: the values as they are. A few bad trials far above
//             the rest (a diverged run, Rosenbrock's walls) set the scale, and the
//             differences among the good ones become noise.
//   rank      the Gaussian copula: each value's mid-rank quantile through the
//             normal's inverse CDF (ties share one), then standardised. Only the
//             order is kept, as TPE keeps it.
//   log       log(y - min + delta), delta a hundredth of the values' interquartile
//             range (or of their spread, when that is zero), then standardised:
//             resolves the values near the best while keeping magnitudes.
#pragma once

#include <Eigen/Dense>

namespace knob {

enum class OutputWarping { kStandard, kRank, kLog };

// The targets for `values` (finite, any length); all zeros when they are all equal.
Eigen::VectorXd WarpedTargets(const Eigen::VectorXd& values, OutputWarping warping);

}  // namespace knob
