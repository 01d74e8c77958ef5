// Checks of one value read from a JSON document (a study file, a sampler's or
// pruner's options, knob-train's config), with one form of one-line error:
// "KEY: expected WHAT, got VALUE". The error carries KEY in Error::key, so that a
// caller can point at the key's line without parsing the message. Used by every
// validating reader: the study file, search/option_reader, knob-train's arguments
// and its model and dataset sections. The text itself is base/input_reader's.
#pragma once

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

// "KEY: expected WHAT, got VALUE" (VALUE as JSON), with Error::key = KEY.
Error ExpectedValue(const std::string& key, const std::string& what, const nlohmann::json& got);
// "KEY: WHAT", with Error::key = KEY: a rule on a key that is not about its type.
Error KeyError(const std::string& key, const std::string& what);

// `status` with Error::key set to `key` (a reader that knows which option or
// parameter it was reading).
Status AboutKey(Status status, const std::string& key);

// An integer in [min, max].
Status ReadInt(const std::string& key, const nlohmann::json& v, int64_t min, int64_t* out,
               int64_t max = std::numeric_limits<int64_t>::max());
// A finite number >= min (inclusive) or > min.
Status ReadNumber(const std::string& key, const nlohmann::json& v, double min, bool inclusive, double* out);
// A number in [low, high].
Status ReadNumberIn(const std::string& key, const nlohmann::json& v, double low, double high, double* out);
Status ReadBool(const std::string& key, const nlohmann::json& v, bool* out);
Status ReadString(const std::string& key, const nlohmann::json& v, std::string* out);
// One of `choices` (the error lists them: "a, b or c").
Status ReadChoice(const std::string& key, const nlohmann::json& v, const std::vector<std::string>& choices,
                  std::string* out);

// Bad input naming the first key of `object` not in `known`: "unknown key 'PATH'
// (known here: a, b)", PATH being `key` + "." + the key; Error::key = PATH.
Status CheckKnownKeys(const std::string& key, const nlohmann::json& object, const std::set<std::string>& known);

}  // namespace knob
