// TpeSampler: the Tree-structured Parzen Estimator. After `n_startup_trials`
// finished trials (random before), it ranks the history (trial_ranking.h), splits it
// into a good and a bad side, fits a Parzen estimator to each, draws candidates
// from the good one and keeps the candidate with the highest log l(x) - log g(x)
// (where one group is the whole space, the highest no trial holds: avoid_repeats).
// Parameters are drawn jointly per group (group_decomposition.h); with the constant
// liar, running trials count as bad, so parallel asks spread out. Seeded, the draw
// is a pure function of seed, trial number and history. Created by the factory.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
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
  std::vector<std::vector<double>> columns;  // one per name, one value per row
  std::vector<int> numbers;                   // trial number of each row
  size_t n_below = 0;                         // the first n_below rows are the good side
  std::vector<double> below_weights = {};     // several objectives: each good row's weight

  double at(size_t row, size_t column) const { return columns[column][row]; }
};

// What TPE derived from finished trials, kept between the asks of one study in one
// process: a finished trial never changes, so its row stays valid for as long as
// the space does. Not thread-safe: one study, one thread at a time.
struct TpeHistoryCache {
  struct Row {
    std::vector<double> values;  // transformed, NaN where absent
    std::vector<bool> present;
  };
  SearchSpace space;  // the relative space the rows were made for
  std::unordered_map<int, Row> rows;  // by trial number
};

class TpeSampler : public Sampler {
 public:
  // `cache` may be null (one ask per process, as on the command line).
  TpeSampler(TpeOptions options, std::shared_ptr<TpeHistoryCache> cache)
      : options_(std::move(options)), cache_(std::move(cache)) {}

  SnapshotParts PartsNeeded() const override {
    SnapshotParts parts = SnapshotParts::All();
    parts.user_attrs = false;
    parts.system_attrs = false;
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
  std::shared_ptr<TpeHistoryCache> cache_;
};

}  // namespace knob
