// TpeSampler: the Tree-structured Parzen Estimator. After `n_startup_trials`
// finished trials (random before), it ranks the history (trial_ranking.h), splits it
// into a good and a bad side, fits a Parzen estimator to each, draws candidates
// from the good one and keeps the candidate with the highest log l(x) - log g(x).
// Parameters are drawn jointly per group (group_decomposition.h); with the constant
// liar, running trials count as bad, so parallel asks spread out. Seeded, the draw
// is a pure function of seed, trial number and history. Created by the factory.
#pragma once

#include <string>
#include <vector>

#include "search/samplers/sampler.h"
#include "search/samplers/tpe/parzen_estimator.h"
#include "search/samplers/tpe/tpe_options.h"

namespace knob {

// The ranked history as a dense table: one row per ranked trial, one column per
// parameter of the relative space (transformed value, NaN where the trial lacks it).
struct TpeHistory {
  std::vector<std::string> names;  // sorted
  std::vector<TpeDimension> dims;
  std::vector<double> values;  // row-major, rows x names.size()
  std::vector<int> numbers;    // trial number of each row
  size_t n_below = 0;          // the first n_below rows are the good side

  double at(size_t row, size_t column) const { return values[row * names.size() + column]; }
};

class TpeSampler : public Sampler {
 public:
  explicit TpeSampler(TpeOptions options) : options_(std::move(options)) {}

  SnapshotParts PartsNeeded() const override {
    SnapshotParts parts = SnapshotParts::All();
    parts.user_attrs = false;
    return parts;
  }
  SearchSpace InferRelativeSearchSpace(const StudySnapshot& study,
                                       const SearchSpace& space) const override;
  Result<RelativeSample> SampleRelative(const StudySnapshot& study, int trial_number,
                                        const SearchSpace& relative_space,
                                        const InternalParams& fixed) const override;
  Result<double> SampleIndependent(const StudySnapshot& study, int trial_number,
                                   const std::string& name,
                                   const Distribution& distribution) const override;

 private:
  // Draws one group of columns jointly; writes the chosen internal values into `out`.
  void SampleGroup(const TpeHistory& history, const std::vector<size_t>& group,
                   const InternalParams& fixed, Rng& rng, InternalParams* out) const;

  TpeOptions options_;
};

}  // namespace knob
