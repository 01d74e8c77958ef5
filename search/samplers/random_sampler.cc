#include "search/samplers/random_sampler.h"

#include "search/samplers/uniform.h"

namespace knob {

Result<double> RandomSampler::SampleIndependent(const StudySnapshot&, int trial_number,
                                                const std::string& name,
                                                const Distribution& distribution) const {
  Rng rng = MakeRng(seed_, trial_number, name);
  return SampleUniform(distribution, rng);
}

}  // namespace knob
