// Builds a Pruner from its name and JSON options, as stored with a study
// (`knob:pruner`) and written in study files (`pruner: {name: asha, reduction_factor: 3}`).
// Names: nop, median, percentile, asha (or successive_halving), hyperband,
// threshold, patient (which wraps another: `wrapped: {name: median}`).
// Validation errors name the pruner and the option. Called by the study.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/pruners/pruner.h"

namespace knob {

struct PrunerSpec {
  std::string name = "median";  // Optuna's default pruner
  nlohmann::json options = nlohmann::json::object();

  // {"name": ..., "options": {...}}, as stored.
  nlohmann::json ToJson() const;
};

// From the flat form {"name": "asha", "min_resource": 1}; a bare string is a name.
Result<PrunerSpec> ParsePrunerSpec(const nlohmann::json& flat);
// From the stored form written by ToJson.
PrunerSpec PrunerSpecFromStored(const nlohmann::json& stored);

Result<std::unique_ptr<Pruner>> MakePruner(const PrunerSpec& spec);
inline Status ValidatePrunerSpec(const PrunerSpec& spec) {
  auto pruner = MakePruner(spec);
  return pruner.ok() ? Status() : Status(pruner.error());
}

}  // namespace knob
