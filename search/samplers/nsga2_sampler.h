// Nsga2Sampler: NSGA-II for studies of several objectives, as Optuna 3.1's
// NSGAIISampler: trials come in generations of `population_size` (each trial's
// system attribute `nsga2:generation`); a generation's parents are the elite of the
// previous one joined with its own parents (non-dominated sorting, then crowding
// distance), picked by binary tournament; a child takes each parameter from one of
// two parents (uniform crossover, `swapping_prob`) with probability
// `crossover_prob`, and each parameter is left to a uniform draw (mutation) with
// probability `mutation_prob` (default 1 / parameters). Constraints dominate as
// Deb's rule: feasible before infeasible, less violation before more. The first
// generation is random. Options: seed, population_size (50), mutation_prob,
// crossover_prob (0.9), swapping_prob (0.5). Created by the sampler factory.
#pragma once

#include <optional>

#include "search/samplers/sampler.h"

namespace knob {

struct Nsga2Options {
  std::optional<uint64_t> seed;
  int population_size = 50;
  std::optional<double> mutation_prob;
  double crossover_prob = 0.9;
  double swapping_prob = 0.5;
};

Result<Nsga2Options> ParseNsga2Options(const nlohmann::json& options);

class Nsga2Sampler : public Sampler {
 public:
  explicit Nsga2Sampler(Nsga2Options options) : options_(std::move(options)) {}

  SnapshotParts PartsNeeded() const override {
    SnapshotParts parts = SnapshotParts::All();
    parts.intermediate_values = false;
    parts.user_attrs = false;
    parts.times = false;
    return parts;
  }
  SearchSpace InferRelativeSearchSpace(const StudySnapshot& study, const SearchSpace& space) const override;
  Result<RelativeSample> SampleRelative(const StudySnapshot& study, int trial_number,
                                        const SearchSpace& relative_space,
                                        const InternalParams& fixed) const override;
  Result<double> SampleIndependent(const StudySnapshot& study, int trial_number, const std::string& name,
                                   const Distribution& distribution) const override;

 private:
  Nsga2Options options_;
};

// The parents of the next generation and its number (-1: none yet, the next is 0),
// from the study's finished generations. Exposed for tests.
struct Nsga2Parents {
  int generation = -1;
  std::vector<const FrozenTrial*> population;
};
Nsga2Parents CollectParents(const StudySnapshot& study, int population_size);

// `a` constraint-dominates `b` (feasibility first, then the objectives).
bool ConstrainedDominates(const FrozenTrial& a, const FrozenTrial& b, const std::vector<StudyDirection>& directions);

}  // namespace knob
