// Reading and writing distributions as JSON, in knob's search-space form
// ({"type": "float", "low": 0, "high": 1, "log": false, "step": 0.1}) and in
// Optuna's stored form ({"name": "FloatDistribution", "attributes": {...}}).
// Used by the search-space parser and by the storages.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/distribution.h"

namespace knob {

// Parses and validates one parameter in knob's form. Errors name the parameter
// and the offending key.
Result<Distribution> ParseDistribution(const std::string& name, const nlohmann::json& spec);

// knob's form, the inverse of ParseDistribution.
nlohmann::json ToKnobJson(const Distribution& distribution);

// Optuna's `distribution_json` column text, readable by optuna.distributions.json_to_distribution.
std::string ToOptunaJson(const Distribution& distribution);

// Parses Optuna's `distribution_json`, including its legacy class names and its
// abbreviated {"type": ...} form.
Result<Distribution> ParseOptunaJson(const std::string& name, const std::string& text);

// The same, from the parsed object: {"name": "FloatDistribution", "attributes": {...}}
// (Optuna's distribution_to_json, as `optuna ask --search-space` takes it) or knob's form.
Result<Distribution> ParseOptunaDistribution(const std::string& name, const nlohmann::json& j);

}  // namespace knob
