// GpSampler: Bayesian optimisation with a Gaussian process. After
// `n_startup_trials` complete trials (random before), it fits a GP
// (gaussian_process.h) to the complete trials' values (gp_space.h scales the
// parameters to [0, 1]; one a trial lacks, an inactive conditional, sits at a place
// of its own), and proposes the point that
// maximises log expected improvement (acquisition.h). Running trials are believed
// to score the GP's mean (Kriging believer), so parallel asks spread out; no ask
// takes a point a trial already holds while any other is left (avoid_repeats).
// Infeasible and failed trials count as the worst value seen. The fitted kernel is recorded
// on the new trial (`gp_kernel`) and the next fit starts from it, so a seeded
// sampler is a pure function of the stored study in any process. One objective
// only. Created by the sampler factory.
#pragma once

#include "search/samplers/gp/gp_options.h"
#include "search/samplers/sampler.h"

namespace knob {

inline constexpr const char* kGpKernelAttr = "gp_kernel";

// A COMPLETE trial with a finite value: what the process is fitted to, what its
// (and auto's) startup count counts, and what auto ranks its delegates by.
bool IsFittable(const FrozenTrial& trial);
int CountFittableTrials(const StudySnapshot& study);
// A trial the process counts as bad as any (+inf to the warping; auto counts it as
// a miss of its sampler): failed with its parameters
// drawn (a crash, a NaN), or complete at the bad infinity (+inf minimising, -inf
// maximising: how some objectives report a diverged run).
bool CountsAsWorst(const FrozenTrial& trial, StudyDirection direction);

class GpSampler : public Sampler {
 public:
  explicit GpSampler(GpOptions options) : options_(std::move(options)) {}

  SnapshotParts PartsNeeded() const override {
    SnapshotParts parts = SnapshotParts::All();
    parts.intermediate_values = false;
    parts.user_attrs = false;
    parts.times = false;
    parts.system_attrs = options_.warm_start;
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
  GpOptions options_;
};

}  // namespace knob
