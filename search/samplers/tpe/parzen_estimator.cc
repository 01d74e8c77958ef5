#include "search/samplers/tpe/parzen_estimator.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "search/samplers/tpe/truncnorm.h"

namespace knob {
namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274178;

double LogSumExp(const std::vector<double>& values) {
  double max = -INFINITY;
  for (double v : values) max = std::max(max, v);
  if (!std::isfinite(max)) return max;
  // exp underflows to exactly 0 below -745.2; skipping those terms (and libm's slow
  // underflow path) leaves the sum bit for bit the same.
  double sum = 0;
  for (double v : values)
    if (v - max > -746.0) sum += std::exp(v - max);
  return max + std::log(sum);
}

// Maps a double to an unsigned key with the same order (negatives flipped).
uint64_t OrderedBits(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits >> 63 ? ~bits : bits | (uint64_t{1} << 63);
}

// The values with their indices, sorted by value, equal values in index order: an LSD
// radix sort (stable, 8 passes of one byte), several times faster than std::sort here.
std::vector<std::pair<double, uint32_t>> SortedWithIndex(const std::vector<double>& values) {
  size_t n = values.size();
  std::vector<std::pair<uint64_t, uint32_t>> keys(n), scratch(n);
  for (size_t i = 0; i < n; ++i) keys[i] = {OrderedBits(values[i]), static_cast<uint32_t>(i)};
  for (int shift = 0; shift < 64; shift += 8) {
    size_t count[257] = {};
    for (const auto& k : keys) ++count[((k.first >> shift) & 0xff) + 1];
    if (count[1 + ((keys.empty() ? 0 : keys[0].first >> shift) & 0xff)] == n) continue;  // one bucket
    for (int b = 0; b < 256; ++b) count[b + 1] += count[b];
    for (const auto& k : keys) scratch[count[(k.first >> shift) & 0xff]++] = k;
    keys.swap(scratch);
  }
  std::vector<std::pair<double, uint32_t>> sorted(n);
  for (size_t i = 0; i < n; ++i) sorted[i] = {values[keys[i].second], keys[i].second};
  return sorted;
}

struct PairHash {
  size_t operator()(const std::pair<double, double>& p) const {
    return std::hash<double>()(p.first) * 0x9e3779b97f4a7c15ULL ^ std::hash<double>()(p.second);
  }
};

size_t DrawIndex(const std::vector<double>& cumulative, double u) {
  auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u * cumulative.back());
  return std::min(static_cast<size_t>(it - cumulative.begin()), cumulative.size() - 1);
}

}  // namespace

TpeDimension TpeDimension::Of(const Distribution& distribution) {
  TpeDimension dim;
  if (const auto* c = std::get_if<CategoricalDistribution>(&distribution)) {
    dim.kind = Kind::kCategorical;
    dim.n_choices = static_cast<int>(c->choices.size());
    return dim;
  }
  if (const auto* f = std::get_if<FloatDistribution>(&distribution)) {
    dim.value_low = f->low;
    dim.value_high = f->high;
    dim.log = f->log;
    if (f->step) {
      dim.kind = Kind::kDiscrete;
      dim.step = *f->step;
    }
  } else {
    const auto& i = std::get<IntDistribution>(distribution);
    dim.kind = Kind::kDiscrete;
    dim.value_low = static_cast<double>(i.low);
    dim.value_high = static_cast<double>(i.high);
    dim.log = i.log;
    dim.step = static_cast<double>(i.step);
  }
  double half = dim.kind == Kind::kDiscrete ? dim.step / 2 : 0.0;
  dim.low = dim.value_low - half;
  dim.high = dim.value_high + half;
  if (dim.log) {
    dim.low = std::log(dim.low);
    dim.high = std::log(dim.high);
  }
  return dim;
}

double TpeDimension::Transform(double internal) const {
  return kind != Kind::kCategorical && log ? std::log(internal) : internal;
}

double TpeDimension::Untransform(double y) const {
  if (kind == Kind::kCategorical) return std::clamp(std::round(y), 0.0, n_choices - 1.0);
  double x = log ? std::exp(y) : y;
  if (kind == Kind::kDiscrete) x = value_low + std::round((x - value_low) / step) * step;
  return std::clamp(x, value_low, value_high);
}

void TpeDimension::Cell(double y, double* lo, double* hi) const {
  double x = log ? std::exp(y) : y;
  double a = std::max(x - step / 2, value_low - step / 2), b = std::min(x + step / 2, value_high + step / 2);
  *lo = log ? std::log(a) : a;
  *hi = log ? std::log(b) : b;
}

ParzenEstimator::ParzenEstimator(std::vector<TpeDimension> dims,
                                 const std::vector<std::vector<double>>& columns,
                                 const std::vector<double>& weights, const ParzenOptions& options)
    : dims_(std::move(dims)) {
  weights_.assign(weights.begin(), weights.end());
  weights_.push_back(options.prior_weight);
  double total = std::accumulate(weights_.begin(), weights_.end(), 0.0);
  for (double& w : weights_) w /= total;

  size_t n_dims = dims_.size();
  mus_.resize(n_dims);
  sigmas_.resize(n_dims);
  inv_sigmas_.resize(n_dims);
  log_norm_.resize(n_dims);
  log_probs_.resize(n_dims);
  discrete_shapes_.resize(n_dims);
  discrete_shape_of_.resize(n_dims);
  for (size_t d = 0; d < n_dims; ++d) {
    if (dims_[d].kind == TpeDimension::Kind::kCategorical) BuildCategorical(d, columns[d], options);
    else BuildNumeric(d, columns[d], options, n_dims);
  }
  kernel_constant_.resize(weights_.size());
  for (size_t k = 0; k < weights_.size(); ++k) kernel_constant_[k] = std::log(weights_[k]);
  for (size_t d = 0; d < n_dims; ++d) {
    if (dims_[d].kind != TpeDimension::Kind::kContinuous) continue;
    // Many kernels share the clipped minimum sigma: reuse the last logarithm.
    double last_sigma = -1, last_log = 0;
    for (size_t k = 0; k < weights_.size(); ++k) {
      double sigma = sigmas_[d][k];
      if (sigma != last_sigma) last_log = std::log(last_sigma = sigma);
      kernel_constant_[k] -= last_log + kHalfLog2Pi + log_norm_[d][k];
    }
  }
}

void ParzenEstimator::BuildNumeric(size_t d, const std::vector<double>& values,
                                   const ParzenOptions& options, size_t n_dims) {
  const TpeDimension& dim = dims_[d];
  double low = dim.low, high = dim.high, range = high - low;
  size_t n = values.size();
  std::vector<double> mus(values), sigmas(n);
  if (options.bandwidth == TpeBandwidth::kScott) {
    double s = 0.2 * std::pow(std::max<double>(n, 1), -1.0 / (n_dims + 4)) * range;
    std::fill(sigmas.begin(), sigmas.end(), s);
  } else if (n > 0) {
    // Distance to the farther neighbour among the sorted observations, the range's
    // ends counting as neighbours only for a single observation.
    std::vector<std::pair<double, uint32_t>> sorted = SortedWithIndex(mus);
    for (size_t r = 0; r < n; ++r) {
      double here = sorted[r].first;
      double left = r > 0 ? here - sorted[r - 1].first : here - low;
      double right = r + 1 < n ? sorted[r + 1].first - here : high - here;
      if (n >= 2 && r == 0) left = 0;
      if (n >= 2 && r + 1 == n) right = 0;
      sigmas[sorted[r].second] = std::max(left, right) * options.bandwidth_factor;
    }
  }
  double min_sigma = options.magic_clip ? range / std::min(100.0, 1.0 + n + 1) : 1e-12;
  // Never above the range, never zero (a subnormal range's share underflows to 0).
  min_sigma = std::clamp(min_sigma, std::numeric_limits<double>::denorm_min(), range);
  for (double& s : sigmas) s = std::clamp(s, min_sigma, range);
  mus.push_back((low + high) / 2);  // the prior
  sigmas.push_back(range);
  auto& log_norm = log_norm_[d];
  auto& inv = inv_sigmas_[d];
  for (size_t k = 0; k < mus.size(); ++k) {
    log_norm.push_back(truncnorm::LogGaussMass((low - mus[k]) / sigmas[k], (high - mus[k]) / sigmas[k]));
    inv.push_back(1.0 / sigmas[k]);
  }
  if (dim.kind == TpeDimension::Kind::kDiscrete) {
    std::unordered_map<std::pair<double, double>, uint32_t, PairHash> ids;
    auto& shape_of = discrete_shape_of_[d];
    shape_of.reserve(mus.size());
    for (size_t k = 0; k < mus.size(); ++k) {
      auto [it, fresh] = ids.try_emplace({mus[k], sigmas[k]}, static_cast<uint32_t>(ids.size()));
      if (fresh) discrete_shapes_[d].push_back(it->first);
      shape_of.push_back(it->second);
    }
  }
  mus_[d] = std::move(mus);
  sigmas_[d] = std::move(sigmas);
}

void ParzenEstimator::BuildCategorical(size_t d, const std::vector<double>& values,
                                       const ParzenOptions& options) {
  int c = dims_[d].n_choices;
  size_t n = values.size();
  double smoothing = options.prior_weight / (n + 1.0);
  // Every observation row has the same two entries: its own choice and the others.
  double observed_total = c * smoothing + 1.0;
  double log_hit = std::log((smoothing + 1.0) / observed_total);
  double log_miss = std::log(smoothing / observed_total);
  auto& table = log_probs_[d];
  table.assign((n + 1) * c, log_miss);
  for (size_t k = 0; k < n; ++k) table[k * c + static_cast<int>(std::lround(values[k]))] = log_hit;
  std::fill(table.begin() + n * c, table.end(), -std::log(static_cast<double>(c)));  // the prior
}

double ParzenEstimator::ChoiceProbability(size_t d, size_t k, int c) const {
  return std::exp(log_probs_[d][k * dims_[d].n_choices + c]);
}

std::vector<std::vector<double>> ParzenEstimator::Sample(Rng& rng, int n, int n_mixed) const {
  std::vector<double> cumulative(weights_.size());
  std::partial_sum(weights_.begin(), weights_.end(), cumulative.begin());
  std::vector<std::vector<double>> points(n, std::vector<double>(dims_.size()));
  for (int i = 0; i < n; ++i) {
    bool mixed = i >= n - n_mixed;
    size_t k = DrawIndex(cumulative, Uniform01(rng));
    for (size_t d = 0; d < dims_.size(); ++d) {
      if (mixed && d > 0) k = DrawIndex(cumulative, Uniform01(rng));
      const TpeDimension& dim = dims_[d];
      if (dim.kind == TpeDimension::Kind::kCategorical) {
        std::vector<double> row(dim.n_choices);
        double acc = 0;
        for (int c = 0; c < dim.n_choices; ++c) row[c] = acc += ChoiceProbability(d, k, c);
        points[i][d] = static_cast<double>(DrawIndex(row, Uniform01(rng)));
        continue;
      }
      double mu = mus_[d][k], sigma = sigmas_[d][k];
      double z = truncnorm::Ppf(Uniform01(rng), (dim.low - mu) / sigma, (dim.high - mu) / sigma);
      points[i][d] = dim.Transform(dim.Untransform(mu + sigma * z));
    }
  }
  return points;
}

std::vector<double> ParzenEstimator::DiscreteLogMassRow(size_t d, double x) const {
  // Kernels share few distinct (mu, sigma) pairs on a grid: compute each pair once.
  double lo, hi;
  dims_[d].Cell(x, &lo, &hi);
  const auto& shapes = discrete_shapes_[d];
  std::vector<double> by_shape(shapes.size());
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto [mu, sigma] = shapes[i];
    by_shape[i] = truncnorm::LogGaussMass((lo - mu) / sigma, (hi - mu) / sigma);
  }
  const auto& shape_of = discrete_shape_of_[d];
  std::vector<double> row(shape_of.size());
  for (size_t k = 0; k < row.size(); ++k) row[k] = by_shape[shape_of[k]] - log_norm_[d][k];
  return row;
}

std::vector<double> ParzenEstimator::LogPdf(const std::vector<std::vector<double>>& points) const {
  size_t n_kernels = weights_.size();
  std::vector<double> result;
  result.reserve(points.size());
  // Discrete dimensions: one row of log masses per distinct value, shared by candidates.
  std::vector<std::map<double, std::vector<double>>> mass_rows(dims_.size());
  std::vector<double> acc(n_kernels);
  for (const auto& point : points) {
    acc = kernel_constant_;
    for (size_t d = 0; d < dims_.size(); ++d) {
      const TpeDimension& dim = dims_[d];
      double x = point[d];
      if (dim.kind == TpeDimension::Kind::kContinuous) {
        const double* mu = mus_[d].data();
        const double* inv = inv_sigmas_[d].data();
        for (size_t k = 0; k < n_kernels; ++k) {
          double z = (x - mu[k]) * inv[k];
          acc[k] -= 0.5 * z * z;
        }
      } else if (dim.kind == TpeDimension::Kind::kDiscrete) {
        auto [row, inserted] = mass_rows[d].try_emplace(x);
        if (inserted) row->second = DiscreteLogMassRow(d, x);
        const double* mass = row->second.data();
        for (size_t k = 0; k < n_kernels; ++k) acc[k] += mass[k];
      } else {
        int c = static_cast<int>(std::lround(x));
        int n_choices = dim.n_choices;
        const double* table = log_probs_[d].data();
        for (size_t k = 0; k < n_kernels; ++k) acc[k] += table[k * n_choices + c];
      }
    }
    result.push_back(LogSumExp(acc));
  }
  return result;
}

}  // namespace knob
