// The Matern-5/2 kernel with one length scale per coordinate (ARD), over points in
// the unit cube: k(x, y) = scale * m(r2) with r2 = sum_d lambda_d * delta_d^2, where
// lambda_d is the inverse squared length scale and delta_d is x_d - y_d, or for a
// categorical coordinate 1 when the choices differ and 0 when they agree (Hamming).
// m(r2) = (1 + sqrt(5 r2) + 5/3 r2) exp(-sqrt(5 r2)). Used by gaussian_process.h.
#pragma once

#include <vector>

#include <Eigen/Dense>

namespace knob {

struct KernelParams {
  Eigen::VectorXd inverse_squared_lengthscales;  // lambda, one per coordinate
  double scale = 1;
  double noise_var = 1e-6;  // added on the diagonal of the training covariance
};

struct MaternKernel {
  std::vector<bool> categorical;  // one per coordinate

  // The weighted squared distance r2 between two points.
  double SquaredDistance(const Eigen::VectorXd& lambda, const double* x, const double* y) const;
  // m(r2), and its derivative dm/dr2 (finite at 0: -5/6).
  static double Shape(double r2);
  static double ShapeDerivative(double r2);

  // scale * m(r2(a_i, b_j)) for the rows of a and b (points are rows).
  Eigen::MatrixXd Matrix(const KernelParams& p, const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) const;
};

}  // namespace knob
