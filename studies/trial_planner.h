// Decides what an ask creates, from a snapshot read inside the storage's write
// transaction: which WAITING trial to hand out (or a new number), and every
// parameter's value (fixed by enqueue, drawn jointly by the sampler, or drawn
// independently), keeping only the conditional parameters whose condition holds.
// A pure function; the Study passes it to Storage::CreateTrial.
#pragma once

#include "search/samplers/sampler.h"
#include "search/search_space.h"
#include "studies/storage.h"

namespace knob {

Result<TrialPlan> PlanTrial(const StudySnapshot& snapshot, const SearchSpace& space,
                            const Sampler& sampler);

}  // namespace knob
