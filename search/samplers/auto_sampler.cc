#include "search/samplers/auto_sampler.h"

#include <algorithm>
#include <cmath>

#include "base/json_text.h"
#include "search/option_reader.h"
#include "search/pareto.h"
#include "search/samplers/gp/gp_sampler.h"

namespace knob {
namespace {

// Whether complete trials hold parameters outside `space`: a define-by-run
// objective whose trials hold parameters its inferred space leaves out (or `space`
// is the one parameter a suggestion draws alone). GP would model part of what
// decides the values.
bool HasParamsOutside(const StudySnapshot& study, const SearchSpace& space) {
  for (const auto& t : study.trials) {
    if (t.state != TrialState::kComplete) continue;
    for (const auto& [name, param] : t.params)
      if (!space.count(name)) return true;
  }
  return false;
}

// Which of gp and tpe has placed its trials better so far: of the finished trials
// each proposed (their `auto_sampler` attribute), the share (Laplace-smoothed)
// that ranks among the best `top` of all complete trials; a failed or infinitely
// bad one (CountsAsWorst: a crash, a NaN, a diverged run) counts as proposed and
// missed. gp on a tie.
std::string Leader(const StudySnapshot& study, double top) {
  auto minimised = [&](const FrozenTrial& t) {
    return study.direction == StudyDirection::kMaximize ? -*t.value : *t.value;
  };
  std::vector<double> sorted;
  for (const auto& t : study.trials)
    if (IsFittable(t)) sorted.push_back(minimised(t));
  if (sorted.empty()) return "gp";
  size_t cut = std::clamp<size_t>(static_cast<size_t>(top * sorted.size()), 1, sorted.size());
  std::nth_element(sorted.begin(), sorted.begin() + (cut - 1), sorted.end());
  double threshold = sorted[cut - 1];
  double hits[2] = {1, 1}, counts[2] = {2, 2};  // gp, tpe
  for (const auto& t : study.trials) {
    auto it = t.system_attrs.find(kAutoSamplerAttr);
    bool failed = CountsAsWorst(t, study.direction);
    if ((!IsFittable(t) && !failed) || it == t.system_attrs.end() || !it->is_string()) continue;
    int k = *it == "gp" ? 0 : *it == "tpe" ? 1 : -1;
    if (k < 0) continue;
    counts[k] += 1;
    hits[k] += !failed && minimised(t) <= threshold && IsFeasible(t);
  }
  return hits[1] / counts[1] > hits[0] / counts[0] ? "tpe" : "gp";
}

}  // namespace

Result<AutoOptions> ParseAutoOptions(const nlohmann::json& options) {
  OptionReader read("auto sampler", options);
  KNOB_RETURN_IF_ERROR(read.CheckKnown({"seed", "n_startup_trials", "gp_max_trials", "other_every", "adaptive",
                                        "lead_top", "share_conditional"}));
  AutoOptions o;
  KNOB_RETURN_IF_ERROR(read.Seed(&o.seed));
  KNOB_RETURN_IF_ERROR(read.Int("n_startup_trials", 0, &o.n_startup_trials));
  KNOB_RETURN_IF_ERROR(read.Int("gp_max_trials", 0, &o.gp_max_trials));
  KNOB_RETURN_IF_ERROR(read.Int("other_every", 0, &o.other_every));
  if (o.other_every == 1) return read.Invalid("other_every", "must be 0 (never) or at least 2");
  KNOB_RETURN_IF_ERROR(read.Bool("adaptive", &o.adaptive));
  KNOB_RETURN_IF_ERROR(read.NumberIn("lead_top", 0, 1, &o.lead_top));
  KNOB_RETURN_IF_ERROR(read.Bool("share_conditional", &o.share_conditional));
  return o;
}

std::string AutoChoice(const AutoOptions& options, const StudySnapshot& study, const SearchSpace& space) {
  int complete = CountFittableTrials(study);
  if (complete < std::max(options.n_startup_trials, 1)) return "random";
  if (study.IsMultiObjective() || HasParamsOutside(study, space)) return "tpe";
  if (!space.conditions.empty() && !options.share_conditional) return "tpe";
  if (complete > options.gp_max_trials) return "tpe";
  std::string leader = options.adaptive ? Leader(study, options.lead_top) : "gp";
  std::string other = leader == "gp" ? "tpe" : "gp";
  // Counted over every finished trial, failed and pruned ones too: counted over
  // complete ones, an ask whose trial fails would be given to the same sampler again.
  int finished = static_cast<int>(std::count_if(study.trials.begin(), study.trials.end(),
                                                [](const FrozenTrial& t) { return IsFinished(t.state); }));
  if (options.other_every > 0 && finished % options.other_every == options.other_every - 1) return other;
  return leader;
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
  std::string choice = AutoChoice(options_, study, space_);
  const Sampler& delegate = choice == "gp" ? *gp_ : *tpe_;
  KNOB_ASSIGN_OR_RETURN(RelativeSample sample, delegate.SampleRelative(study, trial_number, relative_space, fixed));
  sample.system_attrs[kAutoSamplerAttr] = choice;
  return sample;
}

Result<double> AutoSampler::SampleIndependent(const StudySnapshot& study, int trial_number,
                                              const std::string& name, const Distribution& distribution) const {
  return Delegate(study).SampleIndependent(study, trial_number, name, distribution);
}

}  // namespace knob
