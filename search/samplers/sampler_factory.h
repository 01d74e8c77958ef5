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
  std::string name = "auto";
  nlohmann::json options = nlohmann::json::object();
};

// Checks name and options without a search space (for create-study).
Status ValidateSamplerSpec(const SamplerSpec& spec);

struct TpeHistoryCache;

// What a study's samplers may keep between asks in one process (see TpeHistoryCache).
struct SamplerMemory {
  std::shared_ptr<TpeHistoryCache> tpe_history;
};

// Builds the sampler for `space` (the grid needs it to enumerate its points).
// `memory`, when given, outlives the sampler and is shared by the asks of one study.
Result<std::unique_ptr<Sampler>> MakeSampler(const SamplerSpec& spec, const SearchSpace& space,
                                             SamplerMemory* memory = nullptr);

}  // namespace knob
