// How the GP sampler turns the observed objective values (minimised) into the
// standardised targets its process is fitted to. A monotone map, so the best
// trial stays the best; what changes is which differences the process sees.
//   robust    the default: standard, after the values beyond a jump of an order of
//             magnitude in the worse half are clipped to the value below the jump
//             (going up from the median, the first value more than 10 times as far
//             from the best as the value before it, and every value above it). A
//             diverged run's loss of 1e9, or a penalty value an objective returns
//             for a crash, no longer sets the scale; values that rise smoothly,
//             however steeply, are left as they are.
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

enum class OutputWarping { kRobust, kStandard, kRank, kLog };

// The targets for `values` (finite, any length); all zeros when they are all equal.
Eigen::VectorXd WarpedTargets(const Eigen::VectorXd& values, OutputWarping warping);

// The value robust clips `values` at (their largest when nothing is clipped); `jump`
// is how many times farther from the best a value must be than the one below it.
double OutlierCap(const Eigen::VectorXd& values, double jump = 10);

}  // namespace knob
