// AutoSampler, the default: for each ask it picks the sampler that suits the
// study as it stands, and records the pick on the trial (`auto_sampler`: random,
// gp or tpe). The rule (auto_sampler.cc, chosen by bench/sampler_quality.py's
// cross-validation; README has the figures): random for the first
// n_startup_trials, then gp for one objective over a space without conditional
// parameters while the study has at most `gp_max_trials` complete trials, tpe
// otherwise (several objectives, conditional or define-by-run spaces, long studies).
// Options: {"seed", "n_startup_trials", "gp_max_trials"}. Created by the factory.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "search/samplers/sampler.h"

namespace knob {

inline constexpr const char* kAutoSamplerAttr = "auto_sampler";

struct AutoOptions {
  std::optional<uint64_t> seed;
  int n_startup_trials = 10;
  int gp_max_trials = 300;
};

Result<AutoOptions> ParseAutoOptions(const nlohmann::json& options);

// The sampler auto picks for the next ask of `study` over `space`: "random", "gp" or "tpe".
std::string AutoChoice(const AutoOptions& options, const StudySnapshot& study, const SearchSpace& space);

class AutoSampler : public Sampler {
 public:
  // `gp` and `tpe` are the delegates, built with the same seed and startup count.
  AutoSampler(AutoOptions options, SearchSpace space, std::unique_ptr<Sampler> gp, std::unique_ptr<Sampler> tpe)
      : options_(std::move(options)), space_(std::move(space)), gp_(std::move(gp)), tpe_(std::move(tpe)) {}

  SnapshotParts PartsNeeded() const override;
  SearchSpace InferRelativeSearchSpace(const StudySnapshot& study,
                                       const SearchSpace& space) const override;
  Result<RelativeSample> SampleRelative(const StudySnapshot& study, int trial_number,
                                        const SearchSpace& relative_space,
                                        const InternalParams& fixed) const override;
  Result<double> SampleIndependent(const StudySnapshot& study, int trial_number,
                                   const std::string& name,
                                   const Distribution& distribution) const override;

 private:
  const Sampler& Delegate(const StudySnapshot& study) const;

  AutoOptions options_;
  SearchSpace space_;
  std::unique_ptr<Sampler> gp_, tpe_;
};

}  // namespace knob
