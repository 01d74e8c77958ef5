// Decides what an ask creates, from a snapshot read inside the storage's write
// transaction: which WAITING trial to hand out (or a new number), and every
// parameter's value (fixed by enqueue, drawn jointly by the sampler, or drawn
// independently), keeping only the conditional parameters whose condition holds.
// A pure function; the Study passes it to Storage::CreateTrial.
//
// A define-by-run study (no declared parameters: an Optuna objective under
// knob.serve) learns its parameters as the objective suggests them. Its shared
// space is Optuna's intersection search space: the parameters every COMPLETE trial
// holds, each with one distribution. PlanDefineByRunTrial draws them jointly when
// the trial starts (as Optuna's relative sampling does) and keeps the draw in the
// trial's `relative_params` system attribute; a suggestion of one of them with
// that distribution takes the drawn value (Study::Suggest, RelativeParam), any
// other parameter is drawn alone.
#pragma once

#include <optional>

#include "search/samplers/sampler.h"
#include "search/search_space.h"
#include "studies/storage.h"

namespace knob {

Result<TrialPlan> PlanTrial(const StudySnapshot& snapshot, const SearchSpace& space,
                            const Sampler& sampler);

inline constexpr const char* kRelativeParamsAttr = "relative_params";

// The parameters every COMPLETE trial holds with the same distribution (empty
// when none is COMPLETE).
SearchSpace SharedSpaceOfTrials(const StudySnapshot& snapshot);

// The trial to hand out, with no parameters: `sampler` (built for `shared`) draws
// what it can of `shared` jointly into the `relative_params` attribute.
Result<TrialPlan> PlanDefineByRunTrial(const StudySnapshot& snapshot, const SearchSpace& shared,
                                       const Sampler& sampler);

// The internal value `trial` drew for `name` when it started, if it drew one with
// this distribution.
std::optional<double> RelativeParam(const FrozenTrial& trial, const std::string& name,
                                    const Distribution& distribution);

}  // namespace knob
