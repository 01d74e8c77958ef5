// Builds a Sampler from its name and JSON options, as stored with a study
// (`knob create-study --sampler NAME --sampler-options JSON`). Validation errors
// name the sampler and the option. Called by the study when it opens.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/samplers/sampler.h"

namespace knob {

struct SamplerSpec {
  std::string name = "tpe";
  nlohmann::json options = nlohmann::json::object();
};

// Checks name and options without a search space (for create-study).
Status ValidateSamplerSpec(const SamplerSpec& spec);

// Builds the sampler for `space` (the grid needs it to enumerate its points).
Result<std::unique_ptr<Sampler>> MakeSampler(const SamplerSpec& spec, const SearchSpace& space);

}  // namespace knob
