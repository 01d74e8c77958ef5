// Finding the point of the unit cube that maximises log expected improvement under
// a fitted Gaussian process: quasi-random candidates (a randomly shifted R_d
// Kronecker sequence), then local searches from the best of them and from the
// incumbent: L-BFGS-B over the continuous coordinates, an exhaustive scan of each
// discrete or categorical coordinate's values, in turns until neither improves.
// Every point evaluated is snapped to what the parameters can take, so the
// acquisition sees ints and steps rounded, and points already asked can be left
// out. Deterministic given the rng's state.
#pragma once

#include <functional>
#include <vector>

#include <Eigen/Dense>

#include "search/samplers/gp/gaussian_process.h"
#include "search/samplers/gp/gp_space.h"
#include "search/samplers/rng.h"

namespace knob {

struct AcquisitionOptions {
  int n_candidates = 512;
  int n_local_searches = 3;  // from the best candidates, besides the incumbent
  int max_scan_values = 64;  // a discrete coordinate with more values is searched as continuous
};

// log EI at each row of `points` for minimisation below `best` (standardised units).
Eigen::VectorXd LogExpectedImprovement(const GaussianProcess& gp, const Eigen::MatrixXd& points, double best);

// Rewrites a snapped point as the design holds such a point (inactive conditional
// coordinates at their imputed value); may be empty.
using PointProjection = std::function<void(Eigen::VectorXd&)>;

// The maximiser found; `incumbent` is the best observed point (a row of the design).
// A point equal to a row of `avoid` (a trial already asked) scores -inf, so it is
// returned only where every point evaluated was one of them.
Eigen::VectorXd MaximizeLogEi(const GaussianProcess& gp, const std::vector<GpDim>& dims, double best,
                              const Eigen::VectorXd& incumbent, const AcquisitionOptions& options, Rng& rng,
                              const PointProjection& project = {}, const Eigen::MatrixXd& avoid = {});

// n points of the shifted R_d sequence in [0, 1)^d (rows), snapped to `dims`.
Eigen::MatrixXd QuasiRandomPoints(const std::vector<GpDim>& dims, int n, Rng& rng);

}  // namespace knob
