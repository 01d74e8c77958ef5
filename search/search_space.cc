#include "search/search_space.h"

#include "base/json_text.h"
#include "search/distribution_json.h"

namespace knob {

Result<SearchSpace> ParseSearchSpace(const nlohmann::json& spec) {
  if (!spec.is_object())
    return Error::BadInput("search space must be a JSON object of parameters, got " + spec.dump());
  SearchSpace space;
  for (const auto& [name, param] : spec.items()) {
    if (name.empty()) return Error::BadInput("search space: a parameter name is empty");
    KNOB_ASSIGN_OR_RETURN(space[name], ParseDistribution(name, param));
  }
  return space;
}

Result<SearchSpace> ParseSearchSpaceText(const std::string& text) {
  KNOB_ASSIGN_OR_RETURN(nlohmann::json spec, ParseJsonText("search space", text));
  return ParseSearchSpace(spec);
}

nlohmann::json SearchSpaceToJson(const SearchSpace& space) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, distribution] : space) j[name] = ToKnobJson(distribution);
  return j;
}

}  // namespace knob
