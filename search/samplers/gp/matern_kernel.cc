#include "search/samplers/gp/matern_kernel.h"

#include <cmath>

namespace knob {

double MaternKernel::SquaredDistance(const Eigen::VectorXd& lambda, const double* x,
                                     const double* y) const {
  double r2 = 0;
  for (size_t d = 0; d < categorical.size(); ++d) {
    double delta = categorical[d] ? (x[d] != y[d] ? 1.0 : 0.0) : x[d] - y[d];
    r2 += lambda[d] * delta * delta;
  }
  return r2;
}

double MaternKernel::Shape(double r2) {
  double s = std::sqrt(5 * r2);
  return (1 + s + 5.0 / 3.0 * r2) * std::exp(-s);
}

double MaternKernel::ShapeDerivative(double r2) {
  double s = std::sqrt(5 * r2);
  return -5.0 / 6.0 * (1 + s) * std::exp(-s);
}

Eigen::MatrixXd MaternKernel::Matrix(const KernelParams& p, const Eigen::MatrixXd& a,
                                     const Eigen::MatrixXd& b) const {
  // Row-major copies so that each point's coordinates are contiguous.
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> ra = a, rb = b;
  Eigen::MatrixXd k(a.rows(), b.rows());
  for (Eigen::Index i = 0; i < a.rows(); ++i)
    for (Eigen::Index j = 0; j < b.rows(); ++j)
      k(i, j) = p.scale * Shape(SquaredDistance(p.inverse_squared_lengthscales, ra.row(i).data(), rb.row(j).data()));
  return k;
}

}  // namespace knob
