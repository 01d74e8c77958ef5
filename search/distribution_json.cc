#include "search/distribution_json.h"

#include <cmath>
#include <set>

#include "base/json_text.h"

namespace knob {
namespace {

using nlohmann::json;

Error KeyError(const std::string& name, const std::string& key, const std::string& what) {
  return Error::BadInput("parameter '" + name + "': '" + key + "' " + what);
}

Result<double> NumberAt(const std::string& name, const json& spec, const std::string& key) {
  auto it = spec.find(key);
  if (it == spec.end()) return KeyError(name, key, "is missing");
  if (!it->is_number()) return KeyError(name, key, "must be a number, got " + DumpJson(*it));
  return it->get<double>();
}

Result<int64_t> IntegerAt(const std::string& name, const json& spec, const std::string& key) {
  KNOB_ASSIGN_OR_RETURN(double x, NumberAt(name, spec, key));
  if (x != std::floor(x)) return KeyError(name, key, "must be an integer, got " + DumpJson(spec.at(key)));
  // Past 2^53 a double (Optuna's storage) no longer holds every integer.
  if (std::fabs(x) > 9.0e15)
    return KeyError(name, key, "must be an integer between -9e15 and 9e15, got " + DumpJson(spec.at(key)));
  return static_cast<int64_t>(x);
}

Result<bool> BoolAt(const std::string& name, const json& spec, const std::string& key) {
  auto it = spec.find(key);
  if (it == spec.end() || it->is_null()) return false;
  if (!it->is_boolean()) return KeyError(name, key, "must be true or false, got " + DumpJson(*it));
  return it->get<bool>();
}

Status CheckKeys(const std::string& name, const json& spec, const std::set<std::string>& allowed) {
  for (const auto& [key, value] : spec.items())
    if (!allowed.count(key)) return KeyError(name, key, "is not a known key");
  return {};
}

// Float and int distributions share their keys; `read` reads one number of the kind.
template <class D, class Reader>
Result<Distribution> ParseNumeric(const std::string& name, const json& spec, Reader read) {
  KNOB_RETURN_IF_ERROR(CheckKeys(name, spec, {"type", "low", "high", "log", "step"}));
  D d;
  KNOB_ASSIGN_OR_RETURN(d.low, read(name, spec, "low"));
  KNOB_ASSIGN_OR_RETURN(d.high, read(name, spec, "high"));
  KNOB_ASSIGN_OR_RETURN(d.log, BoolAt(name, spec, "log"));
  if (spec.contains("step") && !spec["step"].is_null()) {
    KNOB_ASSIGN_OR_RETURN(d.step, read(name, spec, "step"));
  }
  return Distribution(d);
}

Result<Distribution> ParseCategorical(const std::string& name, const json& spec) {
  KNOB_RETURN_IF_ERROR(CheckKeys(name, spec, {"type", "choices"}));
  auto it = spec.find("choices");
  if (it == spec.end()) return KeyError(name, "choices", "is missing");
  if (!it->is_array()) return KeyError(name, "choices", "must be a list, got " + DumpJson(*it));
  CategoricalDistribution d;
  d.choices = Choices(std::vector<json>(it->begin(), it->end()));
  return Distribution(d);
}

}  // namespace

Result<Distribution> ParseDistribution(const std::string& name, const json& spec) {
  if (!spec.is_object())
    return Error::BadInput("parameter '" + name + "': expected an object like {\"type\": \"float\", ...}, got " +
                           spec.dump());
  auto type = spec.find("type");
  if (type == spec.end()) return KeyError(name, "type", "is missing");
  Result<Distribution> parsed = Error::BadInput("");
  if (*type == "float") parsed = ParseNumeric<FloatDistribution>(name, spec, NumberAt);
  else if (*type == "int") parsed = ParseNumeric<IntDistribution>(name, spec, IntegerAt);
  else if (*type == "categorical") parsed = ParseCategorical(name, spec);
  else
    return KeyError(name, "type", "must be float, int or categorical, got " + DumpJson(*type));
  if (!parsed.ok()) return parsed;
  KNOB_RETURN_IF_ERROR(Validate(name, *parsed));
  return parsed;
}

json ToKnobJson(const Distribution& distribution) {
  return std::visit(
      [](const auto& d) -> json {
        using D = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<D, FloatDistribution>) {
          json j = {{"type", "float"}, {"low", d.low}, {"high", d.high}};
          if (d.log) j["log"] = true;
          if (d.step) j["step"] = *d.step;
          return j;
        } else if constexpr (std::is_same_v<D, IntDistribution>) {
          json j = {{"type", "int"}, {"low", d.low}, {"high", d.high}};
          if (d.log) j["log"] = true;
          if (d.step != 1) j["step"] = d.step;
          return j;
        } else {
          return json{{"type", "categorical"}, {"choices", d.choices.list()}};
        }
      },
      distribution);
}

std::string ToOptunaJson(const Distribution& distribution) {
  json j = std::visit(
      [](const auto& d) -> json {
        using D = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<D, FloatDistribution>) {
          json step = d.step ? json(*d.step) : json();
          return {{"name", "FloatDistribution"},
                  {"attributes", {{"step", step}, {"low", d.low}, {"high", d.high}, {"log", d.log}}}};
        } else if constexpr (std::is_same_v<D, IntDistribution>) {
          return {{"name", "IntDistribution"},
                  {"attributes", {{"log", d.log}, {"step", d.step}, {"low", d.low}, {"high", d.high}}}};
        } else {
          return {{"name", "CategoricalDistribution"}, {"attributes", {{"choices", d.choices.list()}}}};
        }
      },
      distribution);
  return j.dump();
}

Result<Distribution> ParseOptunaJson(const std::string& name, const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Error::BadInput("parameter '" + name + "': unreadable distribution_json " + text);
  return ParseOptunaDistribution(name, j);
}

Result<Distribution> ParseOptunaDistribution(const std::string& name, const json& j) {
  if (!j.is_object() || j.contains("type")) return ParseDistribution(name, j);
  // Optuna's form, its legacy classes included, made knob's and read (and checked) as one.
  std::string cls = j.contains("name") && j["name"].is_string() ? j["name"].get<std::string>() : "";
  json a = j.contains("attributes") ? j["attributes"] : json::object();
  if (!a.is_object()) return Error::BadInput("parameter '" + name + "': unreadable distribution_json " + DumpJson(j));
  json spec = json::object();
  auto copy = [&](const char* from, const char* to) {
    if (a.contains(from) && !a[from].is_null()) spec[to] = a[from];
  };
  if (cls == "FloatDistribution" || cls == "UniformDistribution" ||
      cls == "LogUniformDistribution" || cls == "DiscreteUniformDistribution") {
    spec["type"] = "float";
  } else if (cls == "IntDistribution" || cls == "IntUniformDistribution" ||
             cls == "IntLogUniformDistribution") {
    spec["type"] = "int";
  } else if (cls == "CategoricalDistribution") {
    spec["type"] = "categorical";
    copy("choices", "choices");
    return ParseDistribution(name, spec);
  } else {
    return Error::BadInput("parameter '" + name + "': unknown distribution class '" + cls + "'");
  }
  copy("low", "low");
  copy("high", "high");
  copy("log", "log");
  copy("step", "step");
  copy("q", "step");
  if (cls == "LogUniformDistribution" || cls == "IntLogUniformDistribution") {
    spec["log"] = true;
    if (cls == "IntLogUniformDistribution") spec.erase("step");  // Optuna's legacy class kept a step of 1
  }
  return ParseDistribution(name, spec);
}

}  // namespace knob
