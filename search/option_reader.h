// Reads the JSON options of a sampler or pruner ({"gamma": 0.2, ...}) through
// base/value_reader's checks, with messages that name the owner and the option:
// "tpe sampler: option 'gamma': expected a number > 0, got -1" (Error::key is the
// option). Absent options leave the default in place. Called by the option
// parsers in search/.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/json_text.h"
#include "base/result.h"

namespace knob {

class OptionReader {
 public:
  // `owner` names what the options configure, e.g. "tpe sampler", "asha pruner".
  OptionReader(std::string owner, const nlohmann::json& options)
      : owner_(std::move(owner)), options_(options) {}

  // The options must be an object whose keys are all in `known`.
  Status CheckKnown(std::initializer_list<const char*> known) const;
  bool Has(const std::string& key) const;

  Status Int(const std::string& key, int64_t min, int* out) const;
  Status Number(const std::string& key, double min_exclusive, double* out) const;
  // A number in [low, high].
  Status NumberIn(const std::string& key, double low, double high, double* out) const;
  // Any finite number, or null for none.
  Status OptionalNumber(const std::string& key, std::optional<double>* out) const;
  Status Bool(const std::string& key, bool* out) const;
  // The "seed" option: absent or null for none, else a non-negative integer.
  Status Seed(std::optional<uint64_t>* out) const;
  template <class Enum>
  Status Choice(const std::string& key,
                std::initializer_list<std::pair<const char*, Enum>> choices, Enum* out) const;

  // "OWNER: option 'KEY' WHAT" ("... must be at most 1"), for a rule that is not
  // about the value's type.
  Error Invalid(const std::string& key, const std::string& what) const;

 private:
  std::string Name(const std::string& key) const;
  const nlohmann::json* Find(const std::string& key) const;

  std::string owner_;
  const nlohmann::json& options_;
};

template <class Enum>
Status OptionReader::Choice(const std::string& key,
                            std::initializer_list<std::pair<const char*, Enum>> choices,
                            Enum* out) const {
  const nlohmann::json* value = Find(key);
  if (!value) return {};
  std::string names;
  for (const auto& [name, choice] : choices) {
    if (*value == name) {
      *out = choice;
      return {};
    }
    names += std::string(names.empty() ? "" : " or ") + name;
  }
  return Invalid(key, "must be " + names + ", got " + DumpJson(*value));
}

}  // namespace knob
