#include "search/samplers/gp/acquisition.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <LBFGSB.h>

#include "search/samplers/gp/log_ei.h"

namespace knob {
namespace {

constexpr double kMinVariance = 1e-20;
constexpr double kSamePoint = 1e-9;  // unit-cube distance (per coordinate) below which two points are one

// The root > 1 of x^(d+1) = x + 1 (Roberts' generalised golden ratio).
double GeneralisedGoldenRatio(size_t d) {
  double x = 2;
  for (int i = 0; i < 50; ++i) x = std::pow(1 + x, 1.0 / (d + 1));
  return x;
}

double LogEiAt(double mean, double var, double best, double* dlog_dmean, double* dlog_dvar) {
  double sigma = std::sqrt(std::max(var, kMinVariance));
  double z = (best - mean) / sigma;
  double dh;
  double value = std::log(sigma) + LogH(z, &dh);
  if (dlog_dmean) {
    // d/dmean: dh * (-1 / sigma); d/dvar: (1 - dh z) / (2 var).
    *dlog_dmean = -dh / sigma;
    *dlog_dvar = var > kMinVariance ? (1 - dh * z) / (2 * var) : 0;
  }
  return value;
}

bool IsScanned(const GpDim& dim, const AcquisitionOptions& options) {
  return dim.kind == GpDimKind::kCategorical ||
         (dim.kind == GpDimKind::kDiscrete && dim.grid <= options.max_scan_values);
}

// Snapped to the parameters' values, then projected as the design holds points
// (the projection places a coordinate at its inactive place that becomes active).
Eigen::VectorXd SnapAll(const std::vector<GpDim>& dims, Eigen::VectorXd x, const PointProjection& project) {
  for (size_t d = 0; d < dims.size(); ++d)
    if (!project || x[d] != dims[d].Inactive()) x[d] = dims[d].Snap(x[d]);
  if (project) project(x);
  return x;
}

// One maximisation's fixed parts: the model, the space, and the points it may not ask.
struct Search {
  const GaussianProcess& gp;
  const std::vector<GpDim>& dims;
  double best;
  const AcquisitionOptions& options;
  const PointProjection& project;
  const Eigen::MatrixXd& avoid;

  // log EI at x; -inf where x is one of `avoid`'s rows.
  double ScoreOne(const Eigen::VectorXd& x) const {
    if (IsAvoided(x.transpose())) return -std::numeric_limits<double>::infinity();
    return LogExpectedImprovement(gp, x.transpose(), best)[0];
  }

  // Whether `point` is one of `avoid`'s rows. Linear in them, so callers check
  // only the points they would take.
  bool IsAvoided(const Eigen::RowVectorXd& point) const {
    for (Eigen::Index r = 0; r < avoid.rows(); ++r)
      if ((avoid.row(r) - point).cwiseAbs().maxCoeff() <= kSamePoint) return true;
    return false;
  }

  // L-BFGS-B over the coordinates that are not scanned and not inactive at x (moving
  // one would score points no trial holds), the others held; returns the snapped
  // result's value (and the point in x) when it improves on `value`.
  double ContinuousStep(Eigen::VectorXd* x, double value) const {
    std::vector<Eigen::Index> free;
    for (size_t d = 0; d < dims.size(); ++d)
      if (!IsScanned(dims[d], options) && (*x)[d] != dims[d].Inactive()) free.push_back(static_cast<Eigen::Index>(d));
    if (free.empty()) return value;
    const Eigen::Index m = static_cast<Eigen::Index>(free.size());
    Eigen::VectorXd point = *x;
    auto objective = [&](const Eigen::VectorXd& u, Eigen::VectorXd& gradient) {
      for (Eigen::Index i = 0; i < m; ++i) point[free[i]] = u[i];
      double mean, var;
      Eigen::VectorXd dmean, dvar;
      gp.PredictWithGradient(point, &mean, &var, &dmean, &dvar);
      double dm, dv;
      double v = LogEiAt(mean, var, best, &dm, &dv);
      gradient.resize(m);
      for (Eigen::Index i = 0; i < m; ++i) gradient[i] = -(dm * dmean[free[i]] + dv * dvar[free[i]]);
      if (!std::isfinite(v) || !gradient.allFinite()) {
        gradient.setZero();
        return std::numeric_limits<double>::max();
      }
      return -v;
    };
    Eigen::VectorXd u(m);
    for (Eigen::Index i = 0; i < m; ++i) u[i] = std::clamp((*x)[free[i]], 0.0, 1.0);
    Eigen::VectorXd lb = Eigen::VectorXd::Zero(m), ub = Eigen::VectorXd::Ones(m);
    LBFGSpp::LBFGSBParam<double> param;
    param.max_iterations = 20;
    param.epsilon = 1e-5;
    param.max_linesearch = 20;
    LBFGSpp::LBFGSBSolver<double> solver(param);
    double fx;
    try {
      solver.minimize(objective, u, fx, lb, ub);
    } catch (const std::exception&) {
      // A failed line search leaves u at the last point the solver accepted.
    }
    Eigen::VectorXd candidate = *x;
    for (Eigen::Index i = 0; i < m; ++i) candidate[free[i]] = u[i];
    candidate = SnapAll(dims, candidate, project);
    double candidate_value = ScoreOne(candidate);
    if (candidate_value > value) {
      *x = candidate;
      return candidate_value;
    }
    return value;
  }

  // Tries every value of each scanned coordinate in turn, keeping the best.
  double ScanStep(Eigen::VectorXd* x, double value) const {
    for (size_t d = 0; d < dims.size(); ++d) {
      if (!IsScanned(dims[d], options)) continue;
      Eigen::MatrixXd points(dims[d].grid, x->size());
      for (int i = 0; i < dims[d].grid; ++i) {
        Eigen::VectorXd point = *x;
        point[d] = dims[d].GridPoint(i);
        points.row(i) = SnapAll(dims, point, project).transpose();
      }
      Eigen::VectorXd values = LogExpectedImprovement(gp, points, best);
      Eigen::Index arg = -1;
      for (Eigen::Index i = 0; i < values.size(); ++i)
        if (values[i] > value && !IsAvoided(points.row(i))) value = values[i], arg = i;
      if (arg >= 0) *x = points.row(arg).transpose();
    }
    return value;
  }
};

}  // namespace

Eigen::VectorXd LogExpectedImprovement(const GaussianProcess& gp, const Eigen::MatrixXd& points, double best) {
  Eigen::VectorXd mean, var;
  gp.Predict(points, &mean, &var);
  Eigen::VectorXd out(points.rows());
  for (Eigen::Index i = 0; i < points.rows(); ++i) out[i] = LogEiAt(mean[i], var[i], best, nullptr, nullptr);
  return out;
}

Eigen::MatrixXd QuasiRandomPoints(const std::vector<GpDim>& dims, int n, Rng& rng) {
  const size_t d = dims.size();
  double phi = GeneralisedGoldenRatio(d);
  Eigen::VectorXd alpha(d), shift(d);
  for (size_t k = 0; k < d; ++k) {
    alpha[k] = std::fmod(std::pow(1 / phi, k + 1), 1.0);
    shift[k] = Uniform01(rng);
  }
  Eigen::MatrixXd points(n, d);
  for (int i = 0; i < n; ++i) {
    for (size_t k = 0; k < d; ++k) {
      double u = std::fmod(shift[k] + (i + 1) * alpha[k], 1.0);
      if (dims[k].kind == GpDimKind::kCategorical) u = std::min(std::floor(u * dims[k].grid), dims[k].grid - 1.0);
      points(i, k) = dims[k].Snap(u);
    }
  }
  return points;
}

Eigen::VectorXd MaximizeLogEi(const GaussianProcess& gp, const std::vector<GpDim>& dims, double best,
                              const Eigen::VectorXd& incumbent, const AcquisitionOptions& options, Rng& rng,
                              const PointProjection& project, const Eigen::MatrixXd& avoid) {
  const Search search{gp, dims, best, options, project, avoid};
  Eigen::MatrixXd candidates = QuasiRandomPoints(dims, std::max(options.n_candidates, 1), rng);
  if (project) {
    for (Eigen::Index i = 0; i < candidates.rows(); ++i) {
      Eigen::VectorXd point = candidates.row(i).transpose();
      project(point);
      candidates.row(i) = point.transpose();
    }
  }
  Eigen::VectorXd values = LogExpectedImprovement(gp, candidates, best);
  for (double& v : values) v = std::isnan(v) ? -std::numeric_limits<double>::infinity() : v;  // a strict order
  std::vector<Eigen::Index> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return values[a] > values[b]; });

  // Local searches from the incumbent and the best candidates no trial holds.
  std::vector<Eigen::VectorXd> origins = {incumbent};
  for (size_t i = 0; i < order.size() && origins.size() <= static_cast<size_t>(options.n_local_searches); ++i)
    if (!search.IsAvoided(candidates.row(order[i]))) origins.push_back(candidates.row(order[i]).transpose());
  Eigen::VectorXd best_point = origins[1 < origins.size() ? 1 : 0];
  double best_value = -std::numeric_limits<double>::infinity();
  for (Eigen::VectorXd x : origins) {
    double value = search.ScoreOne(x);
    for (int round = 0; round < 3; ++round) {
      double before = value;
      value = search.ContinuousStep(&x, value);
      value = search.ScanStep(&x, value);
      if (!(value > before + 1e-9 * std::abs(before))) break;
    }
    if (value > best_value) best_value = value, best_point = x;
  }
  return best_point;
}

}  // namespace knob
