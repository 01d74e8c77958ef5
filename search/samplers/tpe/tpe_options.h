// The TPE sampler's options, as given in `--sampler-options` / a study file's
// `sampler:` and stored with the study. Parsing names the offending option.
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "search/samplers/tpe/parzen_estimator.h"

namespace knob {

enum class TpeWeights {
  kOptuna,   // 1 for the newest 25 observations, a linear ramp below for older ones
  kUniform,  // every observation alike
};

struct TpeOptions {
  std::optional<uint64_t> seed;
  int n_startup_trials = 10;
  int n_ei_candidates = 32;
  int n_mixed_candidates = 8;  // of those, drawn from the product of the marginals
  // The share of finished trials that forms the "good" side, at most gamma_max of
  // them: n_below = min(ceil(gamma * n), gamma_max). Unset: 0.1 for one objective
  // (Optuna's; chosen by bench/sampler_quality.py's leave-one-family-out check over
  // seven families), 0.2 for several (the multi-objective bench's, where 0.1 was worse).
  std::optional<double> gamma;
  int gamma_max = 25;
  TpeWeights weights = TpeWeights::kOptuna;
  ParzenOptions parzen;
  // Draw all parameters jointly (grouped when spaces differ). Unset: jointly for one
  // objective, each alone for several (chosen on DTLZ2 and ZDT1 by the
  // multi-objective bench; README has the held-out problems).
  std::optional<bool> multivariate;
  bool group = true;          // split parameters into groups that always appear together
  bool constant_liar = true;  // running trials count as bad, so parallel asks spread out
  bool avoid_repeats = true;  // a joint draw skips candidates a trial already holds

  int NumberBelow(int n_finished, bool several_objectives = false) const;
  // Mixture weights for m observations ordered oldest first.
  std::vector<double> ObservationWeights(size_t m) const;
};

// Options from JSON; unknown keys and wrong types are bad input naming the option.
Result<TpeOptions> ParseTpeOptions(const nlohmann::json& options);

}  // namespace knob
