// A search space: parameter names mapped to their distributions, ordered by name so
// that sampling order (and hence seeded results) never depends on input order, plus
// the conditions of conditional parameters ("when": a parameter exists only while
// another one has one of some values). Parsed from the JSON form of DESIGN.md; used
// by the study, samplers and CLI.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/distribution.h"

namespace knob {

// `"when": {"model": "net"}` or `{"model": ["net", "cnn"]}`: the parameter is active
// only while `parent` is active and its value is one of `values`.
struct ParamCondition {
  std::string parent;
  std::vector<nlohmann::json> values;
  bool operator==(const ParamCondition&) const = default;
};

// The distributions by name (a std::map, so it reads like one) and the conditions.
struct SearchSpace : std::map<std::string, Distribution> {
  std::map<std::string, ParamCondition> conditions;
  bool operator==(const SearchSpace& other) const {
    return static_cast<const std::map<std::string, Distribution>&>(*this) == other &&
           conditions == other.conditions;
  }
};

// Parses {"name": {"type": ..., "when": {...}}, ...}; every error names the parameter.
Result<SearchSpace> ParseSearchSpace(const nlohmann::json& spec);

// Parses JSON text; the message says where the JSON is malformed.
Result<SearchSpace> ParseSearchSpaceText(const std::string& text);

nlohmann::json SearchSpaceToJson(const SearchSpace& space);

// The names active for these external values: unconditional ones, and conditional
// ones whose parent is active with an allowed value (followed down chains).
std::vector<std::string> ActiveParams(const SearchSpace& space, const nlohmann::json& values);

}  // namespace knob
