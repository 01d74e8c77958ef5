#include "search/pruners/pruner_factory.h"

#include "base/json_field.h"
#include "base/json_text.h"
#include "search/option_reader.h"
#include "search/pruners/hyperband_pruner.h"
#include "search/pruners/patient_pruner.h"
#include "search/pruners/percentile_pruner.h"
#include "search/pruners/successive_halving_pruner.h"
#include "search/pruners/threshold_pruner.h"

namespace knob {
namespace {

Result<std::unique_ptr<Pruner>> MakePercentile(const OptionReader& read, bool median) {
  PercentileOptions o;
  if (median) {
    KNOB_RETURN_IF_ERROR(read.CheckKnown({"n_startup_trials", "n_warmup_steps", "interval_steps",
                                          "n_min_trials"}));
  } else {
    KNOB_RETURN_IF_ERROR(read.CheckKnown({"percentile", "n_startup_trials", "n_warmup_steps",
                                          "interval_steps", "n_min_trials"}));
    if (!read.Has("percentile")) return read.Invalid("percentile", "is required");
    KNOB_RETURN_IF_ERROR(read.NumberIn("percentile", 0, 100, &o.percentile));
  }
  KNOB_RETURN_IF_ERROR(read.Int("n_startup_trials", 0, &o.n_startup_trials));
  KNOB_RETURN_IF_ERROR(read.Int("n_warmup_steps", 0, &o.n_warmup_steps));
  KNOB_RETURN_IF_ERROR(read.Int("interval_steps", 1, &o.interval_steps));
  KNOB_RETURN_IF_ERROR(read.Int("n_min_trials", 1, &o.n_min_trials));
  return std::unique_ptr<Pruner>(new PercentilePruner(o));
}

// An integer option that may also be "auto" (none).
Status ReadAutoInt(const OptionReader& read, const nlohmann::json& options, const std::string& key,
                   std::optional<int64_t>* out) {
  if (!read.Has(key) || options[key] == "auto") return {};
  int value = 0;
  KNOB_RETURN_IF_ERROR(read.Int(key, 1, &value));
  *out = value;
  return {};
}

Result<std::unique_ptr<Pruner>> MakeSuccessiveHalving(const OptionReader& read,
                                                      const nlohmann::json& options) {
  KNOB_RETURN_IF_ERROR(read.CheckKnown({"min_resource", "reduction_factor",
                                        "min_early_stopping_rate", "bootstrap_count"}));
  SuccessiveHalvingOptions o;
  KNOB_RETURN_IF_ERROR(ReadAutoInt(read, options, "min_resource", &o.min_resource));
  KNOB_RETURN_IF_ERROR(read.Int("reduction_factor", 2, &o.reduction_factor));
  KNOB_RETURN_IF_ERROR(read.Int("min_early_stopping_rate", 0, &o.min_early_stopping_rate));
  KNOB_RETURN_IF_ERROR(read.Int("bootstrap_count", 0, &o.bootstrap_count));
  if (!o.min_resource && o.bootstrap_count > 0)
    return read.Invalid("bootstrap_count", "needs a fixed min_resource, not \"auto\"");
  return std::unique_ptr<Pruner>(new SuccessiveHalvingPruner(o));
}

Result<std::unique_ptr<Pruner>> MakeHyperband(const OptionReader& read, const nlohmann::json& options) {
  KNOB_RETURN_IF_ERROR(read.CheckKnown({"min_resource", "max_resource", "reduction_factor",
                                        "bootstrap_count"}));
  HyperbandOptions o;
  int min_resource = 1;
  KNOB_RETURN_IF_ERROR(read.Int("min_resource", 1, &min_resource));
  o.min_resource = min_resource;
  KNOB_RETURN_IF_ERROR(ReadAutoInt(read, options, "max_resource", &o.max_resource));
  KNOB_RETURN_IF_ERROR(read.Int("reduction_factor", 2, &o.reduction_factor));
  KNOB_RETURN_IF_ERROR(read.Int("bootstrap_count", 0, &o.bootstrap_count));
  if (o.max_resource && *o.max_resource < o.min_resource)
    return read.Invalid("max_resource", "must be at least min_resource");
  return std::unique_ptr<Pruner>(new HyperbandPruner(o));
}

Result<std::unique_ptr<Pruner>> MakeThreshold(const OptionReader& read) {
  KNOB_RETURN_IF_ERROR(read.CheckKnown({"lower", "upper", "n_warmup_steps", "interval_steps"}));
  ThresholdOptions o;
  KNOB_RETURN_IF_ERROR(read.OptionalNumber("lower", &o.lower));
  KNOB_RETURN_IF_ERROR(read.OptionalNumber("upper", &o.upper));
  if (!o.lower && !o.upper) return read.Invalid("lower", "or 'upper' is required");
  if (o.lower && o.upper && *o.lower > *o.upper)
    return read.Invalid("lower", "must be at most 'upper'");
  KNOB_RETURN_IF_ERROR(read.Int("n_warmup_steps", 0, &o.n_warmup_steps));
  KNOB_RETURN_IF_ERROR(read.Int("interval_steps", 1, &o.interval_steps));
  return std::unique_ptr<Pruner>(new ThresholdPruner(o));
}

Result<std::unique_ptr<Pruner>> MakePatient(const OptionReader& read, const nlohmann::json& options) {
  KNOB_RETURN_IF_ERROR(read.CheckKnown({"wrapped", "patience", "min_delta"}));
  if (!read.Has("patience")) return read.Invalid("patience", "is required");
  int patience = 0;
  double min_delta = 0;
  KNOB_RETURN_IF_ERROR(read.Int("patience", 0, &patience));
  KNOB_RETURN_IF_ERROR(read.NumberIn("min_delta", 0, 1e300, &min_delta));
  std::unique_ptr<Pruner> wrapped;
  if (read.Has("wrapped") && !options["wrapped"].is_null()) {
    KNOB_ASSIGN_OR_RETURN(PrunerSpec inner, ParsePrunerSpec(options["wrapped"]));
    if (inner.name == "patient") return read.Invalid("wrapped", "cannot be another patient pruner");
    KNOB_ASSIGN_OR_RETURN(wrapped, MakePruner(inner));
  }
  return std::unique_ptr<Pruner>(new PatientPruner(std::move(wrapped), patience, min_delta));
}

}  // namespace

nlohmann::json PrunerSpec::ToJson() const { return {{"name", name}, {"options", options}}; }

Result<PrunerSpec> ParsePrunerSpec(const nlohmann::json& flat) {
  PrunerSpec spec;
  if (flat.is_string()) {
    spec.name = flat.get<std::string>();
    return spec;
  }
  if (!flat.is_object() || !flat.contains("name") || !flat["name"].is_string())
    return Error::BadInput("a pruner is a name or an object with a 'name', got " + DumpJson(flat));
  spec.name = flat["name"].get<std::string>();
  for (const auto& [key, value] : flat.items())
    if (key != "name") spec.options[key] = value;
  return spec;
}

PrunerSpec PrunerSpecFromStored(const nlohmann::json& stored) {
  PrunerSpec spec;
  if (!stored.is_object()) return spec;
  spec.name = FieldOr<std::string>(stored, "name", spec.name);
  spec.options = stored.value("options", nlohmann::json::object());
  return spec;
}

Result<std::unique_ptr<Pruner>> MakePruner(const PrunerSpec& spec) {
  OptionReader read(spec.name + " pruner", spec.options);
  if (spec.name == "nop") {
    KNOB_RETURN_IF_ERROR(read.CheckKnown({}));
    return std::unique_ptr<Pruner>(new NopPruner());
  }
  if (spec.name == "median") return MakePercentile(read, /*median=*/true);
  if (spec.name == "percentile") return MakePercentile(read, /*median=*/false);
  if (spec.name == "asha" || spec.name == "successive_halving")
    return MakeSuccessiveHalving(read, spec.options);
  if (spec.name == "hyperband") return MakeHyperband(read, spec.options);
  if (spec.name == "threshold") return MakeThreshold(read);
  if (spec.name == "patient") return MakePatient(read, spec.options);
  return Error::BadInput("unknown pruner '" + spec.name +
                         "'; choose nop, median, percentile, asha, hyperband, threshold or patient");
}

}  // namespace knob
