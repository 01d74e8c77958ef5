// GridSampler: every combination of the grid's values exactly once. The grid is the
// product of each parameter's value list (ints and stepped floats enumerate their
// range; categoricals their choices; a float without a step needs explicit values),
// parameters ordered by name. A trial takes the first point, in grid order (shuffled
// once when seeded), that no earlier trial took; the study calls this inside the
// storage's trial-creation transaction, so parallel workers never share a point.
// Each trial stores Optuna's system attributes `grid_id` and `search_space`.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "search/samplers/sampler.h"

namespace knob {

struct GridAxis {
  std::string name;
  Distribution distribution;
  std::vector<double> internal_values;
};

class GridSampler : public Sampler {
 public:
  // Builds the grid; `explicit_values` maps names to lists of external values.
  // Bad input when a float has neither step nor values, or the grid is too large.
  static Result<std::unique_ptr<GridSampler>> Create(const SearchSpace& space,
                                                     const nlohmann::json& explicit_values,
                                                     std::optional<uint64_t> seed);

  uint64_t size() const { return size_; }

  // Reads only the `grid_id` system attribute of earlier trials.
  SnapshotParts PartsNeeded() const override { return SnapshotParts::StatesOnly(); }
  SearchSpace InferRelativeSearchSpace(const StudySnapshot&, const SearchSpace& space) const override;
  Result<RelativeSample> SampleRelative(const StudySnapshot& study, int trial_number,
                                        const SearchSpace& relative_space,
                                        const InternalParams& fixed) const override;
  Result<double> SampleIndependent(const StudySnapshot&, int, const std::string& name,
                                   const Distribution&) const override;

 private:
  GridSampler(std::vector<GridAxis> axes, uint64_t size, std::optional<uint64_t> seed);

  uint64_t GridIdAt(uint64_t position) const;  // position in visiting order -> grid id
  InternalParams PointOf(uint64_t grid_id) const;
  nlohmann::json OptunaSearchSpace() const;

  std::vector<GridAxis> axes_;
  uint64_t size_;
  std::vector<uint64_t> order_;  // shuffled visiting order when seeded; empty = natural
};

}  // namespace knob
