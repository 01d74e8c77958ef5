#include "search/samplers/tpe/tpe_options.h"

#include <cmath>

#include "base/json_text.h"
#include "search/option_reader.h"

namespace knob {

int TpeOptions::NumberBelow(int n_finished, bool several_objectives) const {
  double share = gamma.value_or(several_objectives ? 0.2 : 0.1);
  return std::min(static_cast<int>(std::ceil(share * n_finished)), gamma_max);
}

std::vector<double> TpeOptions::ObservationWeights(size_t m) const {
  std::vector<double> w(m, 1.0);
  if (weights == TpeWeights::kUniform || m < 25) return w;
  // Optuna's default: linspace(1/m, 1, m - 25) for the oldest, then 25 ones.
  size_t ramp = m - 25;
  for (size_t i = 0; i < ramp; ++i)
    w[i] = ramp == 1 ? 1.0 / m : 1.0 / m + (1.0 - 1.0 / m) * static_cast<double>(i) / (ramp - 1);
  return w;
}

Result<TpeOptions> ParseTpeOptions(const nlohmann::json& options) {
  OptionReader read("tpe sampler", options);
  KNOB_RETURN_IF_ERROR(read.CheckKnown({"seed", "n_startup_trials", "n_ei_candidates",
                                        "n_mixed_candidates", "gamma", "gamma_max", "weights",
                                        "prior_weight", "magic_clip", "bandwidth",
                                        "bandwidth_factor", "multivariate", "group",
                                        "constant_liar", "avoid_repeats"}));
  TpeOptions o;
  KNOB_RETURN_IF_ERROR(read.Seed(&o.seed));
  KNOB_RETURN_IF_ERROR(read.Int("n_startup_trials", 0, &o.n_startup_trials));
  KNOB_RETURN_IF_ERROR(read.Int("n_ei_candidates", 1, &o.n_ei_candidates));
  // Each candidate is a point held in memory: a billion would end the process.
  if (o.n_ei_candidates > 1000000) return read.Invalid("n_ei_candidates", "must be at most 1000000");
  KNOB_RETURN_IF_ERROR(read.Int("n_mixed_candidates", 0, &o.n_mixed_candidates));
  if (o.n_mixed_candidates > o.n_ei_candidates)
    return read.Invalid("n_mixed_candidates", "must be at most n_ei_candidates");
  if (read.Has("gamma")) {
    double gamma = 0;
    KNOB_RETURN_IF_ERROR(read.Number("gamma", 0.0, &gamma));
    if (gamma > 1) return read.Invalid("gamma", "must be at most 1");
    o.gamma = gamma;
  }
  KNOB_RETURN_IF_ERROR(read.Int("gamma_max", 1, &o.gamma_max));
  KNOB_RETURN_IF_ERROR(read.Choice("weights",
      {std::pair{"optuna", TpeWeights::kOptuna}, std::pair{"uniform", TpeWeights::kUniform}}, &o.weights));
  KNOB_RETURN_IF_ERROR(read.Number("prior_weight", 0.0, &o.parzen.prior_weight));
  KNOB_RETURN_IF_ERROR(read.Bool("magic_clip", &o.parzen.magic_clip));
  KNOB_RETURN_IF_ERROR(read.Choice("bandwidth",
      {std::pair{"neighbor", TpeBandwidth::kNeighbor}, std::pair{"scott", TpeBandwidth::kScott}},
      &o.parzen.bandwidth));
  KNOB_RETURN_IF_ERROR(read.Number("bandwidth_factor", 0.0, &o.parzen.bandwidth_factor));
  if (options.contains("multivariate")) {
    bool multivariate = true;
    KNOB_RETURN_IF_ERROR(read.Bool("multivariate", &multivariate));
    o.multivariate = multivariate;
  }
  KNOB_RETURN_IF_ERROR(read.Bool("group", &o.group));
  KNOB_RETURN_IF_ERROR(read.Bool("constant_liar", &o.constant_liar));
  KNOB_RETURN_IF_ERROR(read.Bool("avoid_repeats", &o.avoid_repeats));
  return o;
}

}  // namespace knob
