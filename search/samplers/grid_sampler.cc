#include "search/samplers/grid_sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "base/json_text.h"
#include "search/samplers/rng.h"

namespace knob {
namespace {

constexpr uint64_t kMaxGridPoints = 10'000'000;

Result<std::vector<double>> EnumerateAxis(const std::string& name, const Distribution& d) {
  std::vector<double> values;
  if (const auto* c = std::get_if<CategoricalDistribution>(&d)) {
    for (size_t i = 0; i < c->choices.size(); ++i) values.push_back(static_cast<double>(i));
  } else if (const auto* i = std::get_if<IntDistribution>(&d)) {
    if (i->log && i->high - i->low > static_cast<int64_t>(kMaxGridPoints))
      return Error::BadInput("grid sampler: parameter '" + name + "' has too many values");
    for (int64_t v = i->low; v <= i->high; v += i->step) {
      values.push_back(static_cast<double>(v));
      if (values.size() > kMaxGridPoints)
        return Error::BadInput("grid sampler: parameter '" + name + "' has too many values");
    }
  } else {
    const auto& f = std::get<FloatDistribution>(d);
    if (f.low == f.high) return std::vector<double>{f.low};
    if (!f.step)
      return Error::BadInput("grid sampler: float parameter '" + name +
                             "' needs a step or explicit values "
                             "(--sampler-options '{\"values\": {\"" + name + "\": [...]}}')");
    auto n = static_cast<uint64_t>(std::llround((f.high - f.low) / *f.step));
    if (n + 1 > kMaxGridPoints)
      return Error::BadInput("grid sampler: parameter '" + name + "' has too many values");
    for (uint64_t k = 0; k <= n; ++k)
      values.push_back(std::min(f.low + static_cast<double>(k) * *f.step, f.high));
  }
  return values;
}

Result<std::vector<double>> ExplicitAxis(const std::string& name, const Distribution& d,
                                         const nlohmann::json& list) {
  if (!list.is_array() || list.empty())
    return Error::BadInput("grid sampler: values of '" + name + "' must be a non-empty list");
  std::vector<double> values;
  for (const auto& v : list) {
    KNOB_ASSIGN_OR_RETURN(double internal, ToInternal(name, d, v));
    if (std::find(values.begin(), values.end(), internal) != values.end())
      return Error::BadInput("grid sampler: value " + DumpJson(v) + " of '" + name +
                             "' appears more than once");
    values.push_back(internal);
  }
  return values;
}

}  // namespace

Result<std::unique_ptr<GridSampler>> GridSampler::Create(const SearchSpace& space,
                                                         const nlohmann::json& explicit_values,
                                                         std::optional<uint64_t> seed) {
  if (!explicit_values.is_null() && !explicit_values.is_object())
    return Error::BadInput("grid sampler: 'values' must be an object of lists");
  if (space.empty()) return Error::BadInput("grid sampler: the search space is empty");
  if (!space.conditions.empty())
    return Error::BadInput("grid sampler: conditional parameters ('when') are not supported");
  if (explicit_values.is_object())
    for (const auto& [name, list] : explicit_values.items())
      if (!space.count(name))
        return Error::BadInput("grid sampler: values given for '" + name +
                               "', which is not in the search space");
  std::vector<GridAxis> axes;
  uint64_t size = 1;
  for (const auto& [name, distribution] : space) {
    GridAxis axis{name, distribution, {}};
    if (explicit_values.is_object() && explicit_values.contains(name)) {
      KNOB_ASSIGN_OR_RETURN(axis.internal_values,
                            ExplicitAxis(name, distribution, explicit_values[name]));
    } else {
      KNOB_ASSIGN_OR_RETURN(axis.internal_values, EnumerateAxis(name, distribution));
    }
    size *= axis.internal_values.size();
    if (size > kMaxGridPoints)
      return Error::BadInput("grid sampler: the grid has more than " +
                             std::to_string(kMaxGridPoints) + " points");
    axes.push_back(std::move(axis));
  }
  return std::unique_ptr<GridSampler>(new GridSampler(std::move(axes), size, seed));
}

GridSampler::GridSampler(std::vector<GridAxis> axes, uint64_t size, std::optional<uint64_t> seed)
    : axes_(std::move(axes)), size_(size) {
  if (seed) {
    order_.resize(size_);
    std::iota(order_.begin(), order_.end(), uint64_t{0});
    Rng rng = MakeRng(seed, 0, "grid");
    std::shuffle(order_.begin(), order_.end(), rng);
  }
}

uint64_t GridSampler::GridIdAt(uint64_t position) const {
  return order_.empty() ? position : order_[position];
}

InternalParams GridSampler::PointOf(uint64_t grid_id) const {
  InternalParams point;
  // Mixed radix, the last axis varying fastest (like itertools.product).
  for (auto axis = axes_.rbegin(); axis != axes_.rend(); ++axis) {
    uint64_t n = axis->internal_values.size();
    point[axis->name] = axis->internal_values[grid_id % n];
    grid_id /= n;
  }
  return point;
}

nlohmann::json GridSampler::OptunaSearchSpace() const {
  nlohmann::json space = nlohmann::json::object();
  for (const auto& axis : axes_) {
    nlohmann::json values = nlohmann::json::array();
    for (double v : axis.internal_values) values.push_back(ToExternal(axis.distribution, v));
    space[axis.name] = values;
  }
  return space;
}

SearchSpace GridSampler::InferRelativeSearchSpace(const StudySnapshot&,
                                                  const SearchSpace& space) const {
  SearchSpace relative;
  for (const auto& axis : axes_)
    if (space.count(axis.name)) relative[axis.name] = axis.distribution;
  return relative;
}

Result<RelativeSample> GridSampler::SampleRelative(const StudySnapshot& study, int,
                                                   const SearchSpace&,
                                                   const InternalParams& fixed) const {
  std::unordered_set<uint64_t> visited;
  for (const auto& trial : study.trials) {
    auto it = trial.system_attrs.find("grid_id");
    if (it != trial.system_attrs.end() && it->is_number_integer()) visited.insert(it->get<uint64_t>());
  }
  std::optional<uint64_t> chosen;
  std::optional<uint64_t> first_unvisited;
  for (uint64_t position = 0; position < size_ && visited.size() < size_; ++position) {
    uint64_t id = GridIdAt(position);
    if (visited.count(id)) continue;
    if (!first_unvisited) first_unvisited = id;
    InternalParams point = PointOf(id);
    bool matches = std::all_of(fixed.begin(), fixed.end(), [&](const auto& kv) {
      auto p = point.find(kv.first);
      return p == point.end() || p->second == kv.second;
    });
    if (matches) {
      chosen = id;
      break;
    }
    if (fixed.empty()) break;
  }
  if (!chosen) chosen = first_unvisited;
  if (!chosen)
    return Error::Exhausted("the grid of " + std::to_string(size_) +
                            " points is used up: every point has a trial");
  RelativeSample sample;
  sample.params = PointOf(*chosen);
  sample.system_attrs["grid_id"] = *chosen;
  sample.system_attrs["search_space"] = OptunaSearchSpace();
  return sample;
}

Result<double> GridSampler::SampleIndependent(const StudySnapshot&, int, const std::string& name,
                                              const Distribution&) const {
  return Error::BadInput("grid sampler: parameter '" + name + "' is not in the grid");
}

}  // namespace knob
