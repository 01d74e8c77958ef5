// `--set key=value` overrides of a JSON document, as knob-train's config and
// `knob run`'s study file take them: a dotted key names a value in nested objects
// (created as needed, at most 8 deep); the value is JSON when it reads as JSON
// (through base/input_reader, so out-of-range numbers and deep nesting are
// refused), else the text itself as a string.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

// Bad input naming the override: "--set x: expected key=value".
Result<nlohmann::json> ApplyKeyOverrides(nlohmann::json document, const std::vector<std::string>& sets);

}  // namespace knob
