// Reading the values of knob-train's `model` and `dataset` sections, with one form
// of one-line error: "SECTION.KEY: expected WHAT, got VALUE". Keys are passed whole
// ("model.kernel"). Used by trainer/model_spec and trainer/dataset; Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

Error ExpectedValue(const std::string& key, const std::string& what, const nlohmann::json& got);

// One of `choices` (the error lists them: "a, b or c").
Status ReadChoice(const std::string& key, const nlohmann::json& v, const std::vector<std::string>& choices,
                  std::string* out);
Status ReadBool(const std::string& key, const nlohmann::json& v, bool* out);
Status ReadIntAtLeast(const std::string& key, const nlohmann::json& v, int64_t min, int64_t* out);

}  // namespace knob
