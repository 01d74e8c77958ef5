// RandomSampler: every parameter independently and uniformly (see uniform.h).
// Options: {"seed": N}. Created through the sampler factory.
#pragma once

#include <optional>

#include "search/samplers/sampler.h"

namespace knob {

class RandomSampler : public Sampler {
 public:
  explicit RandomSampler(std::optional<uint64_t> seed) : seed_(seed) {}

  SnapshotParts PartsNeeded() const override { return SnapshotParts::Minimal(); }
  SearchSpace InferRelativeSearchSpace(const StudySnapshot&, const SearchSpace&) const override {
    return {};
  }
  Result<RelativeSample> SampleRelative(const StudySnapshot&, int, const SearchSpace&,
                                        const InternalParams&) const override {
    return RelativeSample{};
  }
  Result<double> SampleIndependent(const StudySnapshot& study, int trial_number,
                                   const std::string& name,
                                   const Distribution& distribution) const override;

 private:
  std::optional<uint64_t> seed_;
};

}  // namespace knob
