#include "search/samplers/uniform.h"

#include <algorithm>
#include <cmath>

namespace knob {
namespace {

double SampleFloat(const FloatDistribution& d, Rng& rng) {
  if (d.low == d.high) return d.low;
  if (d.step) {
    auto n = static_cast<int64_t>(std::llround((d.high - d.low) / *d.step));
    auto k = static_cast<int64_t>(Uniform01(rng) * static_cast<double>(n + 1));
    return std::min(d.low + static_cast<double>(std::min(k, n)) * *d.step, d.high);
  }
  double u = Uniform01(rng);
  double x = d.log ? std::exp(std::log(d.low) + u * (std::log(d.high) - std::log(d.low)))
                   : d.low + u * (d.high - d.low);
  // Half-open like Optuna: never return high itself for a continuous float.
  return std::clamp(x, d.low, std::nextafter(d.high, d.low));
}

double SampleInt(const IntDistribution& d, Rng& rng) {
  if (d.low == d.high) return static_cast<double>(d.low);
  if (d.log) {
    double lo = std::log(static_cast<double>(d.low) - 0.5);
    double hi = std::log(static_cast<double>(d.high) + 0.5);
    double x = std::round(std::exp(lo + Uniform01(rng) * (hi - lo)));
    return std::clamp(x, static_cast<double>(d.low), static_cast<double>(d.high));
  }
  int64_t n = (d.high - d.low) / d.step;
  auto k = static_cast<int64_t>(Uniform01(rng) * static_cast<double>(n + 1));
  return static_cast<double>(d.low + std::min(k, n) * d.step);
}

}  // namespace

double SampleUniform(const Distribution& distribution, Rng& rng) {
  if (const auto* f = std::get_if<FloatDistribution>(&distribution)) return SampleFloat(*f, rng);
  if (const auto* i = std::get_if<IntDistribution>(&distribution)) return SampleInt(*i, rng);
  const auto& c = std::get<CategoricalDistribution>(distribution);
  auto n = c.choices.size();
  return static_cast<double>(std::min(static_cast<size_t>(Uniform01(rng) * n), n - 1));
}

}  // namespace knob
