// How the GP sampler turns the observed objective values (minimised) into the
// standardised targets its process is fitted to. A monotone map, so the best
// trial stays the best; what changes is which differences the process sees.
//   robust    the default: standard, after a cliff is cut down. A cliff is a
//             jump of an order of magnitude in the worse half (going up from the
//             median, the first value more than 10 times as far from the best as
//             the value before it) or a +inf (a failed, infeasible or infinitely
//             bad trial); then every value above the upper quartile of the values
//             below the jump is clipped to it. A diverged run's loss of 1e9, a
//             crash or a penalty value no longer sets the scale, and the step it
//             leaves beside the good trials is no taller than their own spread, so
//             the kernel need not shorten its length scales to fit it. Values that
//             rise smoothly, however steeply, with no +inf, are left as they are.
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

// The targets for `values` (any length): +inf is as bad as it gets (the cap under
// robust, the worst finite value under the others); all zeros when they are all
// equal or none is finite.
Eigen::VectorXd WarpedTargets(const Eigen::VectorXd& values, OutputWarping warping);

// How many times farther from the best a value must be than the one below it to
// start a cliff.
inline constexpr double kOutlierJump = 10;

// The largest value of `values` (finite) below the first jump in their worse half
// (their largest when there is none).
double OutlierCap(const Eigen::VectorXd& values, double jump = kOutlierJump);

// The value robust clips `values` at (their largest finite one when nothing is
// clipped): past a jump (OutlierCap) or beside a +inf, the `quantile` of the
// values below the jump.
double RobustCap(const Eigen::VectorXd& values, double quantile = 0.75);

}  // namespace knob
