// A Gaussian process over points in the unit cube with a Matern-5/2 ARD kernel
// (matern_kernel.h), for standardised observations (mean 0, variance 1). Fit finds
// the kernel parameters' MAP estimate (log marginal likelihood plus priors, by
// L-BFGS-B over their logarithms); Predict gives the latent function's posterior
// mean and variance. A covariance that will not factorise (duplicated points, a
// tiny noise) gets growing jitter on its diagonal until it does, so no design
// crashes. Used by the GP sampler; pure functions of their input.
#pragma once

#include <optional>
#include <vector>

#include <Eigen/Dense>

#include "search/samplers/gp/matern_kernel.h"

namespace knob {

struct GpFitOptions {
  double min_noise_var = 1e-6;
  int max_iterations = 50;  // from the default start
  // From a previous fit: the optimum moves little between asks, and what one ask
  // leaves unfinished the next continues, so few iterations suffice.
  int max_warm_iterations = 8;
  double gradient_tolerance = 1e-2;  // on the largest projected gradient entry, as Optuna's gtol
  // The kernel is fitted to at most this many of the points, evenly spaced through
  // them (the posterior then uses all): the fit's cost stays bounded.
  int max_fit_points = 100;
  bool fit_noise = true;  // false: the noise stays at its minimum (a deterministic objective)
};

// The negative log posterior of the kernel parameters `raw` (log lambda_1..d,
// log scale, log(noise_var - min_noise_var)) given points `x` (rows) and values
// `y`, and its gradient with respect to `raw` (when `gradient` is not null). The
// pairwise squared differences per coordinate are computed once, at construction.
class NegLogPosterior {
 public:
  NegLogPosterior(const MaternKernel& kernel, const Eigen::MatrixXd& x, Eigen::VectorXd y, double min_noise_var);
  double operator()(const Eigen::VectorXd& raw, Eigen::VectorXd* gradient) const;

 private:
  std::vector<Eigen::MatrixXd> deltas_;  // per coordinate: (x_i - x_j)^2, or 0/1 when categorical
  Eigen::VectorXd y_;
  double min_noise_var_;
};
Eigen::VectorXd RawOf(const KernelParams& params, double min_noise_var);
KernelParams ParamsOf(const Eigen::VectorXd& raw, double min_noise_var);

class GaussianProcess {
 public:
  // The MAP fit, started from `start` (the previous fit of the same study) when given.
  static GaussianProcess Fit(MaternKernel kernel, Eigen::MatrixXd x, Eigen::VectorXd y,
                             const std::optional<KernelParams>& start, const GpFitOptions& options);
  // The posterior for given kernel parameters (no fit).
  GaussianProcess(MaternKernel kernel, Eigen::MatrixXd x, Eigen::VectorXd y, KernelParams params);

  // The same process also conditioned on `points` observed at its own mean there
  // (the Kriging believer: the mean is unchanged, the variance shrinks around them).
  GaussianProcess Believing(const Eigen::MatrixXd& points) const;

  // Posterior mean and variance (of the latent function, noise excluded) at each row.
  void Predict(const Eigen::MatrixXd& points, Eigen::VectorXd* mean, Eigen::VectorXd* var) const;
  // At one point, with gradients by its coordinates (0 for categorical ones).
  void PredictWithGradient(const Eigen::VectorXd& point, double* mean, double* var,
                           Eigen::VectorXd* dmean, Eigen::VectorXd* dvar) const;

  const KernelParams& params() const { return params_; }
  double jitter() const { return jitter_; }  // what the factorisation needed added
  const Eigen::MatrixXd& x() const { return x_; }
  const Eigen::VectorXd& y() const { return y_; }

 private:
  MaternKernel kernel_;
  Eigen::MatrixXd x_;
  Eigen::VectorXd y_;
  KernelParams params_;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd alpha_;  // K^-1 y
  double jitter_ = 0;
};

}  // namespace knob
