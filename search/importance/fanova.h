// Parameter importance by fANOVA (Hutter et al. 2014), as Optuna 3.1's default
// `get_param_importances` computes it: a random forest (random_forest.h) fitted to
// the COMPLETE trials' values, and each parameter's share of every tree's variance
// over the uniform search space, averaged over the trees and normalised to sum 1.
// Numbers are measured on their own scale (not log), as Optuna's evaluator does;
// a categorical is one feature whose choices each take a unit interval (Optuna
// one-hot encodes them; the ranking agrees, see tests/interop). Pure computation.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "search/trial.h"

namespace knob {

struct ImportanceOptions {
  int objective = 0;        // which value of a study with several objectives
  uint64_t seed = 0;
  int trees = 64;
  size_t max_trials = 2000;  // a larger study is judged on an evenly spaced subset
};

struct ParamImportance {
  std::string name;
  double importance = 0;  // in [0, 1]; the study's sum to 1
};

// The parameters every COMPLETE trial with a finite value has, most important
// first (a parameter with one possible value gets 0). Bad input when fewer than
// two such trials exist or their values do not vary.
Result<std::vector<ParamImportance>> ParamImportances(const StudySnapshot& study, const ImportanceOptions& options);

}  // namespace knob
