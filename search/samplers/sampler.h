// The Sampler interface: given a snapshot of the study and the new trial's number,
// propose parameter values. Samplers are pure functions of their input (no I/O),
// and with a seed the same history gives the same proposal in any process.
// The study calls them inside the storage's trial-creation transaction.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/search_space.h"
#include "search/trial.h"

namespace knob {

// Internal values by parameter name.
using InternalParams = std::map<std::string, double>;

struct RelativeSample {
  InternalParams params;
  // Stored on the new trial as system attributes (e.g. the grid point's id).
  nlohmann::json system_attrs = nlohmann::json::object();
};

class Sampler {
 public:
  virtual ~Sampler() = default;

  // What of the study's trials this sampler reads.
  virtual SnapshotParts PartsNeeded() const { return SnapshotParts::All(); }

  // The part of `space` this sampler draws jointly, from what the study holds.
  virtual SearchSpace InferRelativeSearchSpace(const StudySnapshot& study,
                                               const SearchSpace& space) const = 0;

  // Draws the relative space jointly for trial `trial_number`. `fixed` holds values
  // already fixed by an enqueued trial; a sampler may honour them when it chooses.
  // Fails with kExhausted when nothing is left to propose.
  virtual Result<RelativeSample> SampleRelative(const StudySnapshot& study, int trial_number,
                                                const SearchSpace& relative_space,
                                                const InternalParams& fixed) const = 0;

  // Draws one parameter outside the relative space.
  virtual Result<double> SampleIndependent(const StudySnapshot& study, int trial_number,
                                           const std::string& name,
                                           const Distribution& distribution) const = 0;
};

}  // namespace knob
