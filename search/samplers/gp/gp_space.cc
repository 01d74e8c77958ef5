#include "search/samplers/gp/gp_space.h"

#include <algorithm>
#include <cmath>

namespace knob {
namespace {

struct Range {
  double low, high;  // transformed, cell edges included
  bool log;
};

Range RangeOf(const GpDim& dim) {
  if (auto f = std::get_if<FloatDistribution>(&dim.distribution)) {
    double half = f->step ? *f->step / 2 : 0;
    if (f->log) return {std::log(f->low), std::log(f->high), true};
    return {f->low - half, f->high + half, false};
  }
  const auto& i = std::get<IntDistribution>(dim.distribution);
  double half = i.step / 2.0;
  if (i.log) return {std::log(i.low - 0.5), std::log(i.high + 0.5), true};
  return {i.low - half, i.high + half, false};
}

// The distribution's grid value nearest to `value` (clamped to the bounds).
double ToGrid(const Distribution& distribution, double value) {
  if (auto f = std::get_if<FloatDistribution>(&distribution)) {
    if (f->step) value = f->low + std::round((value - f->low) / *f->step) * *f->step;
    return std::clamp(value, f->low, f->high);
  }
  const auto& i = std::get<IntDistribution>(distribution);
  double snapped = i.low + std::round((value - i.low) / i.step) * i.step;
  double top = i.low + std::floor(static_cast<double>(i.high - i.low) / i.step) * i.step;
  return std::clamp(snapped, static_cast<double>(i.low), top);
}

}  // namespace

double GpDim::ToUnit(double internal) const {
  if (kind == GpDimKind::kCategorical) return internal;
  Range r = RangeOf(*this);
  double t = r.log ? std::log(internal) : internal;
  if (r.high <= r.low) return 0.5;
  return std::clamp((t - r.low) / (r.high - r.low), 0.0, 1.0);
}

double GpDim::FromUnit(double unit) const {
  if (kind == GpDimKind::kCategorical)
    return std::clamp(std::round(unit), 0.0, static_cast<double>(grid - 1));
  Range r = RangeOf(*this);
  double t = r.low + std::clamp(unit, 0.0, 1.0) * (r.high - r.low);
  return ToGrid(distribution, r.log ? std::exp(t) : t);
}

double GpDim::Snap(double unit) const {
  if (kind == GpDimKind::kContinuous) return std::clamp(unit, 0.0, 1.0);
  return ToUnit(FromUnit(unit));
}

double GpDim::GridPoint(int i) const {
  if (kind == GpDimKind::kCategorical) return i;
  const auto* f = std::get_if<FloatDistribution>(&distribution);
  double value;
  if (f) value = f->low + i * *f->step;
  else {
    const auto& d = std::get<IntDistribution>(distribution);
    value = static_cast<double>(d.low + i * d.step);
  }
  return ToUnit(value);
}

std::vector<GpDim> GpDimsOf(const SearchSpace& space) {
  std::vector<GpDim> dims;
  for (const auto& [name, distribution] : space) {
    GpDim dim{name, distribution};
    if (auto c = std::get_if<CategoricalDistribution>(&distribution)) {
      dim.kind = GpDimKind::kCategorical;
      dim.grid = static_cast<int>(c->choices.size());
    } else if (auto i = std::get_if<IntDistribution>(&distribution)) {
      dim.kind = GpDimKind::kDiscrete;
      dim.grid = static_cast<int>(std::min<int64_t>((i->high - i->low) / i->step + 1, 1 << 30));
    } else {
      const auto& f = std::get<FloatDistribution>(distribution);
      if (f.step) {
        dim.kind = GpDimKind::kDiscrete;
        dim.grid = static_cast<int>(std::min(std::floor((f.high - f.low) / *f.step + 1e-9) + 1, 1e9));
      }
    }
    dims.push_back(std::move(dim));
  }
  return dims;
}

}  // namespace knob
