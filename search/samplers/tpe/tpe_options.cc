#include "search/samplers/tpe/tpe_options.h"

#include <cmath>

namespace knob {
namespace {

Error OptionError(const std::string& key, const std::string& what) {
  return Error::BadInput("tpe sampler: option '" + key + "' " + what);
}

Status ReadInt(const nlohmann::json& options, const std::string& key, int min, int* out) {
  auto it = options.find(key);
  if (it == options.end()) return {};
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > 1000000)
    return OptionError(key, "must be an integer >= " + std::to_string(min) + ", got " + it->dump());
  *out = it->get<int>();
  return {};
}

Status ReadNumber(const nlohmann::json& options, const std::string& key, double min_exclusive,
                  double* out) {
  auto it = options.find(key);
  if (it == options.end()) return {};
  if (!it->is_number() || !(it->get<double>() > min_exclusive) || !std::isfinite(it->get<double>()))
    return OptionError(key, "must be a number > " + std::to_string(min_exclusive) + ", got " + it->dump());
  *out = it->get<double>();
  return {};
}

Status ReadBool(const nlohmann::json& options, const std::string& key, bool* out) {
  auto it = options.find(key);
  if (it == options.end()) return {};
  if (!it->is_boolean()) return OptionError(key, "must be true or false, got " + it->dump());
  *out = it->get<bool>();
  return {};
}

template <class Enum>
Status ReadChoice(const nlohmann::json& options, const std::string& key,
                  std::initializer_list<std::pair<const char*, Enum>> choices, Enum* out) {
  auto it = options.find(key);
  if (it == options.end()) return {};
  std::string names;
  for (const auto& [name, value] : choices) {
    if (*it == name) {
      *out = value;
      return {};
    }
    names += std::string(names.empty() ? "" : " or ") + name;
  }
  return OptionError(key, "must be " + names + ", got " + it->dump());
}

}  // namespace

int TpeOptions::NumberBelow(int n_finished) const {
  return std::min(static_cast<int>(std::ceil(gamma * n_finished)), gamma_max);
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
  static const char* kKeys[] = {"seed", "n_startup_trials", "n_ei_candidates", "n_mixed_candidates",
                                "gamma", "gamma_max",
                                "weights", "prior_weight", "magic_clip", "bandwidth",
                                "bandwidth_factor", "multivariate", "group", "constant_liar"};
  if (!options.is_object())
    return Error::BadInput("sampler options must be a JSON object, got " + options.dump());
  for (const auto& [key, value] : options.items())
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
      return Error::BadInput("tpe sampler: unknown option '" + key + "'");
  TpeOptions o;
  if (auto it = options.find("seed"); it != options.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0)
      return Error::BadInput("tpe sampler: seed must be a non-negative integer, got " + it->dump());
    o.seed = it->get<uint64_t>();
  }
  KNOB_RETURN_IF_ERROR(ReadInt(options, "n_startup_trials", 0, &o.n_startup_trials));
  KNOB_RETURN_IF_ERROR(ReadInt(options, "n_ei_candidates", 1, &o.n_ei_candidates));
  KNOB_RETURN_IF_ERROR(ReadInt(options, "n_mixed_candidates", 0, &o.n_mixed_candidates));
  if (o.n_mixed_candidates > o.n_ei_candidates)
    return OptionError("n_mixed_candidates", "must be at most n_ei_candidates");
  KNOB_RETURN_IF_ERROR(ReadNumber(options, "gamma", 0.0, &o.gamma));
  if (o.gamma > 1) return OptionError("gamma", "must be at most 1");
  KNOB_RETURN_IF_ERROR(ReadInt(options, "gamma_max", 1, &o.gamma_max));
  KNOB_RETURN_IF_ERROR(ReadChoice(options, "weights",
      {std::pair{"optuna", TpeWeights::kOptuna}, std::pair{"uniform", TpeWeights::kUniform}}, &o.weights));
  KNOB_RETURN_IF_ERROR(ReadNumber(options, "prior_weight", 0.0, &o.parzen.prior_weight));
  KNOB_RETURN_IF_ERROR(ReadBool(options, "magic_clip", &o.parzen.magic_clip));
  KNOB_RETURN_IF_ERROR(ReadChoice(options, "bandwidth",
      {std::pair{"neighbor", TpeBandwidth::kNeighbor}, std::pair{"scott", TpeBandwidth::kScott}},
      &o.parzen.bandwidth));
  KNOB_RETURN_IF_ERROR(ReadNumber(options, "bandwidth_factor", 0.0, &o.parzen.bandwidth_factor));
  KNOB_RETURN_IF_ERROR(ReadBool(options, "multivariate", &o.multivariate));
  KNOB_RETURN_IF_ERROR(ReadBool(options, "group", &o.group));
  KNOB_RETURN_IF_ERROR(ReadBool(options, "constant_liar", &o.constant_liar));
  return o;
}

}  // namespace knob
