#include "search/samplers/auto_sampler.h"

#include <algorithm>
#include <cmath>

#include "base/json_text.h"
#include "search/option_reader.h"
#include "search/samplers/gp/gp_sampler.h"

namespace knob {
namespace {

// Whether complete trials hold parameters outside `space`: a define-by-run
// trial, whose each suggestion would be fitted alone.
bool HasParamsOutside(const StudySnapshot& study, const SearchSpace& space) {
  for (const auto& t : study.trials) {
    if (t.state != TrialState::kComplete) continue;
    // A parameter outside the space: the space is one suggestion of a define-by-run trial.
    for (const auto& [name, param] : t.params)
      if (!space.count(name)) return true;
  }
  return false;
}

}  // namespace

Result<AutoOptions> ParseAutoOptions(const nlohmann::json& options) {
  OptionReader read("auto sampler", options);
  KNOB_RETURN_IF_ERROR(read.CheckKnown({"seed", "n_startup_trials", "gp_max_trials"}));
  AutoOptions o;
  KNOB_RETURN_IF_ERROR(read.Seed(&o.seed));
  KNOB_RETURN_IF_ERROR(read.Int("n_startup_trials", 0, &o.n_startup_trials));
  KNOB_RETURN_IF_ERROR(read.Int("gp_max_trials", 0, &o.gp_max_trials));
  return o;
}

std::string AutoChoice(const AutoOptions& options, const StudySnapshot& study, const SearchSpace& space) {
  int complete = CountFittableTrials(study);
  if (complete < std::max(options.n_startup_trials, 1)) return "random";
  if (study.IsMultiObjective() || !space.conditions.empty() || HasParamsOutside(study, space)) return "tpe";
  if (complete > options.gp_max_trials) return "tpe";
  return "gp";
}

const Sampler& AutoSampler::Delegate(const StudySnapshot& study) const {
  return AutoChoice(options_, study, space_) == "gp" ? *gp_ : *tpe_;
}

SnapshotParts AutoSampler::PartsNeeded() const {
  SnapshotParts parts = SnapshotParts::All();
  parts.user_attrs = false;
  parts.times = false;
  return parts;
}

SearchSpace AutoSampler::InferRelativeSearchSpace(const StudySnapshot& study, const SearchSpace& space) const {
  return Delegate(study).InferRelativeSearchSpace(study, space);
}

Result<RelativeSample> AutoSampler::SampleRelative(const StudySnapshot& study, int trial_number,
                                                   const SearchSpace& relative_space,
                                                   const InternalParams& fixed) const {
  KNOB_ASSIGN_OR_RETURN(RelativeSample sample,
                        Delegate(study).SampleRelative(study, trial_number, relative_space, fixed));
  sample.system_attrs[kAutoSamplerAttr] = AutoChoice(options_, study, space_);
  return sample;
}

Result<double> AutoSampler::SampleIndependent(const StudySnapshot& study, int trial_number,
                                              const std::string& name, const Distribution& distribution) const {
  return Delegate(study).SampleIndependent(study, trial_number, name, distribution);
}

}  // namespace knob
