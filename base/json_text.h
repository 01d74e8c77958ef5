// Writing JSON text the way Python's json.dumps does for non-finite numbers (NaN,
// Infinity, -Infinity), so that values like an infinite objective survive a round
// trip through Python tools. Reading is base/input_reader's.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

// Compact JSON where non-finite floats are written as NaN / Infinity / -Infinity.
std::string DumpJson(const nlohmann::json& value);
std::string DumpJson(const nlohmann::ordered_json& value);

// A double as JSON text (Python-compatible for non-finite values).
std::string DumpNumber(double value);

// A bound as people write it in messages: 0, 100, 0.5, 1e-08 (printf's %g).
std::string ShortNumber(double value);

}  // namespace knob
