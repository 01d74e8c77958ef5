#include "search/samplers/gp/gaussian_process.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <LBFGSB.h>

namespace knob {
namespace {

// Bounds of the raw (log) parameters: length scales from 0.01 to 30 of the unit
// cube, scale from 1e-3 to 1e3, noise from 1e-9 to 10 above its minimum.
constexpr double kLogLambdaLow = -6.8, kLogLambdaHigh = 9.3;
constexpr double kLogScaleLow = -6.9, kLogScaleHigh = 6.9;
constexpr double kLogNoiseLow = -20.7, kLogNoiseHigh = 2.3;

// The covariance of the training points: scale * M + noise * I.
Eigen::MatrixXd TrainCovariance(const MaternKernel& kernel, const KernelParams& p, const Eigen::MatrixXd& x) {
  Eigen::MatrixXd k = kernel.Matrix(p, x, x);
  k.diagonal().array() += p.noise_var;
  return k;
}

// Factorises k, adding jitter on the diagonal until it works; returns the jitter.
double Factorize(Eigen::MatrixXd k, double scale, Eigen::LLT<Eigen::MatrixXd>* llt) {
  double jitter = 0;
  for (int attempt = 0;; ++attempt) {
    llt->compute(k);
    if (llt->info() == Eigen::Success) return jitter;
    double next = scale * std::pow(10.0, -10 + attempt);
    k.diagonal().array() += next - jitter;
    jitter = next;
    if (attempt > 12) {  // scale * 100 on the diagonal: only a non-finite matrix fails
      k = Eigen::MatrixXd::Identity(k.rows(), k.cols()) * (scale + 1);
    }
  }
}

// The log prior of the parameters (Optuna's GPSampler's): on each lambda
// -(0.1 / lambda + 0.1 lambda); Gamma(2, 1) on the scale; Gamma(1.1, 30) on the noise.
double LogPrior(const KernelParams& p, double min_noise_var, Eigen::VectorXd* raw_gradient) {
  double value = 0;
  const Eigen::Index d = p.inverse_squared_lengthscales.size();
  for (Eigen::Index i = 0; i < d; ++i) {
    double l = p.inverse_squared_lengthscales[i];
    value += -(0.1 / l + 0.1 * l);
    if (raw_gradient) (*raw_gradient)[i] += 0.1 / l - 0.1 * l;
  }
  value += std::log(p.scale) - p.scale;
  if (raw_gradient) (*raw_gradient)[d] += 1 - p.scale;
  double excess = p.noise_var - min_noise_var;
  value += 0.1 * std::log(p.noise_var) - 30 * p.noise_var;
  if (raw_gradient) (*raw_gradient)[d + 1] += (0.1 / p.noise_var - 30) * excess;
  return value;
}

}  // namespace

Eigen::VectorXd RawOf(const KernelParams& p, double min_noise_var) {
  const Eigen::Index d = p.inverse_squared_lengthscales.size();
  Eigen::VectorXd raw(d + 2);
  raw.head(d) = p.inverse_squared_lengthscales.array().log();
  raw[d] = std::log(p.scale);
  raw[d + 1] = std::log(std::max(p.noise_var - min_noise_var, 1e-12));
  return raw;
}

KernelParams ParamsOf(const Eigen::VectorXd& raw, double min_noise_var) {
  const Eigen::Index d = raw.size() - 2;
  KernelParams p;
  p.inverse_squared_lengthscales = raw.head(d).array().exp();
  p.scale = std::exp(raw[d]);
  p.noise_var = std::exp(raw[d + 1]) + min_noise_var;
  return p;
}

NegLogPosterior::NegLogPosterior(const MaternKernel& kernel, const Eigen::MatrixXd& x, Eigen::VectorXd y,
                                 double min_noise_var)
    : y_(std::move(y)), min_noise_var_(min_noise_var) {
  const Eigen::Index n = x.rows();
  for (Eigen::Index k = 0; k < x.cols(); ++k) {
    Eigen::MatrixXd delta(n, n);
    for (Eigen::Index j = 0; j < n; ++j)
      for (Eigen::Index i = 0; i < n; ++i) {
        double d = kernel.categorical[k] ? (x(i, k) != x(j, k) ? 1.0 : 0.0) : x(i, k) - x(j, k);
        delta(i, j) = d * d;
      }
    deltas_.push_back(std::move(delta));
  }
}

double NegLogPosterior::operator()(const Eigen::VectorXd& raw, Eigen::VectorXd* gradient) const {
  KernelParams p = ParamsOf(raw, min_noise_var_);
  const Eigen::Index n = y_.size(), d = static_cast<Eigen::Index>(deltas_.size());
  Eigen::ArrayXXd r2 = Eigen::ArrayXXd::Zero(n, n);
  for (Eigen::Index k = 0; k < d; ++k) r2 += p.inverse_squared_lengthscales[k] * deltas_[k].array();
  Eigen::ArrayXXd s = (5 * r2).sqrt();
  Eigen::ArrayXXd e = (-s).exp();
  Eigen::MatrixXd cov = (p.scale * (1 + s + 5.0 / 3.0 * r2) * e).matrix();
  cov.diagonal().array() += p.noise_var;
  Eigen::LLT<Eigen::MatrixXd> llt;
  Factorize(cov, p.scale, &llt);
  Eigen::VectorXd alpha = llt.solve(y_);
  double log_det = 2 * llt.matrixLLT().diagonal().array().log().sum();
  double log_likelihood = -0.5 * y_.dot(alpha) - 0.5 * log_det - 0.5 * n * std::log(2 * M_PI);
  Eigen::VectorXd raw_gradient = Eigen::VectorXd::Zero(d + 2);
  double value = log_likelihood + LogPrior(p, min_noise_var_, gradient ? &raw_gradient : nullptr);
  if (gradient) {
    // dL/dtheta = 1/2 sum_ij W_ij dK_ij/dtheta, W = alpha alpha^T - K^-1.
    Eigen::MatrixXd w = alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
    // dK/dlog lambda_k = scale m'(r2) lambda_k delta_k; m'(r2) = -5/6 (1 + s) e.
    Eigen::ArrayXXd w_shape = w.array() * (p.scale * -5.0 / 6.0 * (1 + s) * e);
    for (Eigen::Index k = 0; k < d; ++k)
      raw_gradient[k] += 0.5 * p.inverse_squared_lengthscales[k] * (w_shape * deltas_[k].array()).sum();
    // dK/dlog scale = K - noise I.
    double noise_trace = w.trace() * p.noise_var;
    raw_gradient[d] += 0.5 * ((w.array() * cov.array()).sum() - noise_trace);
    raw_gradient[d + 1] += 0.5 * w.trace() * (p.noise_var - min_noise_var_);
    *gradient = -raw_gradient;
  }
  return -value;
}

GaussianProcess::GaussianProcess(MaternKernel kernel, Eigen::MatrixXd x, Eigen::VectorXd y, KernelParams params)
    : kernel_(std::move(kernel)), x_(std::move(x)), y_(std::move(y)), params_(std::move(params)) {
  jitter_ = Factorize(TrainCovariance(kernel_, params_, x_), params_.scale, &llt_);
  alpha_ = llt_.solve(y_);
}

GaussianProcess GaussianProcess::Fit(MaternKernel kernel, Eigen::MatrixXd x, Eigen::VectorXd y,
                                     const std::optional<KernelParams>& start, const GpFitOptions& options) {
  const Eigen::Index d = x.cols();
  Eigen::VectorXd lb(d + 2), ub(d + 2);
  lb.head(d).setConstant(kLogLambdaLow);
  ub.head(d).setConstant(kLogLambdaHigh);
  lb[d] = kLogScaleLow, ub[d] = kLogScaleHigh;
  lb[d + 1] = kLogNoiseLow, ub[d + 1] = options.fit_noise ? kLogNoiseHigh : kLogNoiseLow;

  KernelParams initial{Eigen::VectorXd::Ones(d), 1.0, 1e-2};
  bool warm = start && start->inverse_squared_lengthscales.size() == d;
  if (warm) initial = *start;
  Eigen::VectorXd raw = RawOf(initial, options.min_noise_var).cwiseMax(lb).cwiseMin(ub);

  // The best point the solver visited: it throws when a line search fails, and
  // what it reached by then is still an improvement.
  Eigen::VectorXd best = raw;
  double best_value = std::numeric_limits<double>::infinity();
  Eigen::MatrixXd fit_x = x;
  Eigen::VectorXd fit_y = y;
  if (x.rows() > options.max_fit_points && options.max_fit_points > 0) {
    const Eigen::Index m = options.max_fit_points;
    fit_x.resize(m, d);
    fit_y.resize(m);
    for (Eigen::Index i = 0; i < m; ++i) {
      Eigen::Index row = i * x.rows() / m;
      fit_x.row(i) = x.row(row);
      fit_y[i] = y[row];
    }
  }
  NegLogPosterior negative_log_posterior(kernel, fit_x, fit_y, options.min_noise_var);
  auto objective = [&](const Eigen::VectorXd& r, Eigen::VectorXd& gradient) {
    double value = negative_log_posterior(r, &gradient);
    if (!std::isfinite(value) || !gradient.allFinite()) {
      gradient.setZero();
      return std::numeric_limits<double>::max();
    }
    if (value < best_value) best_value = value, best = r;
    return value;
  };
  LBFGSpp::LBFGSBParam<double> param;
  param.max_iterations = warm ? options.max_warm_iterations : options.max_iterations;
  param.epsilon = options.gradient_tolerance;
  param.epsilon_rel = 0;
  param.max_linesearch = 20;
  LBFGSpp::LBFGSBSolver<double> solver(param);
  double fx;
  try {
    solver.minimize(objective, raw, fx, lb, ub);
  } catch (const std::exception&) {
  }
  return GaussianProcess(std::move(kernel), std::move(x), std::move(y), ParamsOf(best, options.min_noise_var));
}

GaussianProcess GaussianProcess::Believing(const Eigen::MatrixXd& points) const {
  if (points.rows() == 0) return *this;
  Eigen::VectorXd mean, var;
  Predict(points, &mean, &var);
  Eigen::MatrixXd x(x_.rows() + points.rows(), x_.cols());
  x << x_, points;
  Eigen::VectorXd y(y_.size() + mean.size());
  y << y_, mean;
  return GaussianProcess(kernel_, std::move(x), std::move(y), params_);
}

void GaussianProcess::Predict(const Eigen::MatrixXd& points, Eigen::VectorXd* mean, Eigen::VectorXd* var) const {
  Eigen::MatrixXd cross = kernel_.Matrix(params_, x_, points);  // n x m
  *mean = cross.transpose() * alpha_;
  Eigen::MatrixXd v = llt_.matrixL().solve(cross);
  *var = (params_.scale - v.colwise().squaredNorm().array()).cwiseMax(0).matrix().transpose();
}

void GaussianProcess::PredictWithGradient(const Eigen::VectorXd& point, double* mean, double* var,
                                          Eigen::VectorXd* dmean, Eigen::VectorXd* dvar) const {
  const Eigen::Index n = x_.rows(), d = x_.cols();
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rx = x_;
  Eigen::VectorXd k(n), shape_derivative(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    double r2 = kernel_.SquaredDistance(params_.inverse_squared_lengthscales, point.data(), rx.row(i).data());
    k[i] = params_.scale * MaternKernel::Shape(r2);
    shape_derivative[i] = params_.scale * MaternKernel::ShapeDerivative(r2);
  }
  Eigen::VectorXd v = llt_.solve(k);
  *mean = k.dot(alpha_);
  *var = std::max(params_.scale - k.dot(v), 0.0);
  dmean->setZero(d);
  dvar->setZero(d);
  for (Eigen::Index c = 0; c < d; ++c) {
    if (kernel_.categorical[c]) continue;
    double lambda2 = 2 * params_.inverse_squared_lengthscales[c];
    double gm = 0, gv = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      double dk = shape_derivative[i] * lambda2 * (point[c] - rx(i, c));
      gm += alpha_[i] * dk;
      gv += v[i] * dk;
    }
    (*dmean)[c] = gm;
    (*dvar)[c] = -2 * gv;
  }
}

}  // namespace knob
