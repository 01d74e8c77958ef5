// Decides what an ask creates, from a snapshot read inside the storage's write
// transaction: which WAITING trial to hand out (or a new number), and every
// parameter's value (fixed by enqueue, drawn jointly by the sampler, or drawn
// independently), keeping only the conditional parameters whose condition holds.
// A pure function; the Study passes it to Storage::CreateTrial.
//
// A define-by-run study (no declared parameters: an Optuna objective under
// knob.serve) learns its parameters as the objective suggests them. Its space is
// inferred from its COMPLETE trials (DefineByRunSpace): the parameters every one
// holds with one distribution (Optuna's intersection search space), and those
// whose presence follows one of them (a branch's: `svc_c` held exactly by the
// trials whose `classifier` is "SVC"; a loop's: `units_2` by those whose
// `n_layers` is 3 or 4) as conditional parameters. PlanDefineByRunTrial draws it
// jointly when the trial starts (as Optuna's relative sampling does) and keeps the
// active part of the draw in the trial's `knob:relative_params` system attribute; a
// suggestion of one of them with that distribution takes the drawn value
// (Study::Suggest, RelativeParam), any other parameter is drawn alone. The
// sampler sees each RUNNING trial with its draw, so asks made together spread.
#pragma once

#include <optional>

#include "search/samplers/sampler.h"
#include "search/search_space.h"
#include "studies/storage.h"

namespace knob {

Result<TrialPlan> PlanTrial(const StudySnapshot& snapshot, const SearchSpace& space,
                            const Sampler& sampler);

inline constexpr const char* kRelativeParamsAttr = "knob:relative_params";

// The parameters every COMPLETE trial holds with the same distribution and, as
// conditional ones, those whose presence follows one of the space's non-float
// parameters (its values seen beside them).
SearchSpace DefineByRunSpace(const StudySnapshot& snapshot);

// The trial to hand out, with no parameters: `sampler` (built for `space`) draws
// what it can of `space` jointly; the part active under the draw goes into the
// `knob:relative_params` attribute.
Result<TrialPlan> PlanDefineByRunTrial(const StudySnapshot& snapshot, const SearchSpace& space,
                                       const Sampler& sampler);

// The internal value `trial` drew for `name` when it started, if it drew one with
// this distribution.
std::optional<double> RelativeParam(const FrozenTrial& trial, const std::string& name,
                                    const Distribution& distribution);

}  // namespace knob
