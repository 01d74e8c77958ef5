// Drawing one internal value uniformly from a distribution, as Optuna's
// RandomSampler does: uniform in the (log-)transformed range, snapped to the step.
// Used by the random sampler and by model-based samplers before they have data.
#pragma once

#include "search/distribution.h"
#include "search/samplers/rng.h"

namespace knob {

double SampleUniform(const Distribution& distribution, Rng& rng);

}  // namespace knob
