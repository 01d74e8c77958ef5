#include "search/samplers/gp/log_ei.h"

#include <cmath>

namespace knob {
namespace {

constexpr double kLogSqrt2Pi = 0.91893853320467274178;  // log(sqrt(2 pi))

double LogPhi(double z) { return -0.5 * z * z - kLogSqrt2Pi; }

}  // namespace

double Erfcx(double x) {
  if (x < 25) return std::exp(x * x) * std::erfc(x);
  // 1 / (x sqrt(pi)) * (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6))
  double u = 1 / (2 * x * x);
  return (1 - u + 3 * u * u - 15 * u * u * u) / (x * std::sqrt(M_PI));
}

double LogH(double z, double* derivative) {
  if (z > -1) {
    double cdf = 0.5 * std::erfc(-z / M_SQRT2);
    double h = z * cdf + std::exp(LogPhi(z));
    if (derivative) *derivative = cdf / h;
    return std::log(h);
  }
  if (z > -25) {
    // h = phi(z) (1 + z r), r = Phi(z) / phi(z) = sqrt(pi / 2) erfcx(-z / sqrt 2).
    double r = std::sqrt(M_PI / 2) * Erfcx(-z / M_SQRT2);
    double ratio = 1 + z * r;
    if (derivative) *derivative = r / ratio;
    return LogPhi(z) + std::log(ratio);
  }
  double w = 1 / (z * z);
  double series = 1 - 3 * w + 15 * w * w - 105 * w * w * w;
  if (derivative) {
    // Phi / h with Phi ~ phi / |z| (1 - w + 3 w^2 - 15 w^3) and h ~ phi w series.
    double cdf_series = 1 - w + 3 * w * w - 15 * w * w * w;
    *derivative = -z * cdf_series / series;
  }
  return LogPhi(z) + std::log(w) + std::log(series);
}

}  // namespace knob
