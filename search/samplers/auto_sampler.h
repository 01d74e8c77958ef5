// AutoSampler, the default: for each ask it picks the sampler that suits the
// study as it stands, and records the pick on the trial (`auto_sampler`: random,
// gp or tpe). The rule (auto_sampler.cc, chosen by bench/sampler_quality.py's
// leave-one-family-out check; README has the figures): random for the first
// n_startup_trials; tpe for several objectives, spaces some complete trial goes
// beyond (a define-by-run objective whose trials hold parameters the inferred
// space leaves out) and studies past `gp_max_trials` complete trials; otherwise
// gp and tpe share the asks: the one whose trials have ranked better so far
// (`adaptive`) leads, and every `other_every`-th ask goes to the other, so each
// keeps being measured and a problem that suits tpe (a plateau of near-equal good
// values, a narrow curved valley) is not left to gp alone. Conditional spaces are shared the same way
// (`share_conditional`; false: tpe alone on them).
// Options: {"seed", "n_startup_trials", "gp_max_trials", "adaptive", "other_every",
// "lead_top", "share_conditional"}.
// Created by the factory.
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
  bool adaptive = true;  // lead with whichever of gp and tpe has placed its trials better (else gp)
  int other_every = 3;   // when > 0, every this-many-th ask goes to the sampler not leading
  bool share_conditional = true;  // conditional spaces shared too (else tpe alone on them)
  double lead_top = 0.2;  // the share of the study's best trials a sampler's trials are counted in
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
