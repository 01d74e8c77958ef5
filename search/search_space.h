// A search space: parameter names mapped to their distributions, ordered by name so
// that sampling order (and hence seeded results) never depends on input order.
// Parsed from the JSON form of DESIGN.md; used by the study, samplers and CLI.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/distribution.h"

namespace knob {

using SearchSpace = std::map<std::string, Distribution>;

// Parses {"name": {"type": ...}, ...}; every error names the parameter.
Result<SearchSpace> ParseSearchSpace(const nlohmann::json& spec);

// Parses JSON text; the message says where the JSON is malformed.
Result<SearchSpace> ParseSearchSpaceText(const std::string& text);

nlohmann::json SearchSpaceToJson(const SearchSpace& space);

}  // namespace knob
