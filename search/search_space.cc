#include "search/search_space.h"

#include <algorithm>
#include <functional>
#include <set>

#include "base/input_reader.h"
#include "base/json_text.h"
#include "base/value_reader.h"
#include "search/distribution_json.h"

namespace knob {
namespace {

Result<ParamCondition> ParseCondition(const std::string& name, const nlohmann::json& when) {
  if (!when.is_object() || when.size() != 1)
    return Error::BadInput("parameter '" + name +
                           "': 'when' must name one parameter, like {\"model\": \"net\"}");
  ParamCondition condition;
  condition.parent = when.begin().key();
  const auto& values = when.begin().value();
  if (values.is_array()) condition.values.assign(values.begin(), values.end());
  else condition.values.push_back(values);
  if (condition.values.empty())
    return Error::BadInput("parameter '" + name + "': 'when' lists no values");
  return condition;
}

Status CheckConditions(const SearchSpace& space) {
  for (const auto& [name, condition] : space.conditions) {
    auto parent = space.find(condition.parent);
    if (parent == space.end())
      return Error::BadInput("parameter '" + name + "': 'when' names '" + condition.parent +
                             "', which is not in the search space");
    for (const auto& v : condition.values)
      if (!ToInternal(condition.parent, parent->second, v).ok())
        return Error::BadInput("parameter '" + name + "': 'when' value " + DumpJson(v) +
                               " is not a value of '" + condition.parent + "'");
    // Follow the chain of parents: it must end, not come back.
    std::set<std::string> seen{name};
    for (auto it = space.conditions.find(condition.parent); it != space.conditions.end();
         it = space.conditions.find(it->second.parent)) {
      if (!seen.insert(it->first).second)
        return Error::BadInput("parameter '" + name + "': its 'when' conditions form a cycle");
    }
  }
  return {};
}

}  // namespace

namespace {

Status ParseParameter(const std::string& name, const nlohmann::json& param, SearchSpace& space) {
  nlohmann::json distribution = param;
  if (param.is_object() && param.contains("when")) {
    KNOB_ASSIGN_OR_RETURN(space.conditions[name], ParseCondition(name, param["when"]));
    distribution.erase("when");
  }
  // Optuna's form too ({"name": "FloatDistribution", "attributes": {...}}), as an
  // Optuna user's `--search-space` writes it.
  if (distribution.is_object() && !distribution.contains("type") && distribution.contains("name")) {
    KNOB_ASSIGN_OR_RETURN(space[name], ParseOptunaDistribution(name, distribution));
  } else {
    KNOB_ASSIGN_OR_RETURN(space[name], ParseDistribution(name, distribution));
  }
  return {};
}

}  // namespace

Result<SearchSpace> ParseSearchSpace(const nlohmann::json& spec) {
  if (!spec.is_object())
    return Error::BadInput("search space must be a JSON object of parameters, got " + DumpJson(spec));
  SearchSpace space;
  for (const auto& [name, param] : spec.items()) {
    if (name.empty()) return Error::BadInput("search space: a parameter name is empty");
    KNOB_RETURN_IF_ERROR(AboutKey(ParseParameter(name, param, space), name));
  }
  KNOB_RETURN_IF_ERROR(CheckConditions(space));
  return space;
}

Result<SearchSpace> ParseSearchSpaceText(const std::string& text) {
  KNOB_ASSIGN_OR_RETURN(nlohmann::json spec, ParseJsonText("search space", text));
  return ParseSearchSpace(spec);
}

nlohmann::json SearchSpaceToJson(const SearchSpace& space) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, distribution] : space) {
    j[name] = ToKnobJson(distribution);
    if (auto c = space.conditions.find(name); c != space.conditions.end())
      j[name]["when"] = {{c->second.parent, c->second.values}};
  }
  return j;
}

std::vector<std::string> ActiveParams(const SearchSpace& space, const nlohmann::json& values) {
  std::map<std::string, bool> active;
  // Resolves one name, following its chain of parents (acyclic, checked at parse).
  std::function<bool(const std::string&)> is_active = [&](const std::string& name) -> bool {
    if (auto known = active.find(name); known != active.end()) return known->second;
    bool result = true;
    if (auto c = space.conditions.find(name); c != space.conditions.end()) {
      const auto& parent = c->second.parent;
      result = is_active(parent) && values.contains(parent) &&
               std::find(c->second.values.begin(), c->second.values.end(), values[parent]) !=
                   c->second.values.end();
    }
    return active[name] = result;
  };
  std::vector<std::string> names;
  for (const auto& [name, d] : space)
    if (is_active(name)) names.push_back(name);
  return names;
}

}  // namespace knob
