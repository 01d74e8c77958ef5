#include "trainer/config_values.h"

namespace knob {

Error ExpectedValue(const std::string& key, const std::string& what, const nlohmann::json& got) {
  return Error::BadInput(key + ": expected " + what + ", got " + got.dump());
}

Status ReadChoice(const std::string& key, const nlohmann::json& v, const std::vector<std::string>& choices,
                  std::string* out) {
  for (const auto& c : choices)
    if (v == c) return *out = c, Status();
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) list += (i ? (i + 1 == choices.size() ? " or " : ", ") : "") + choices[i];
  return ExpectedValue(key, list, v);
}

Status ReadBool(const std::string& key, const nlohmann::json& v, bool* out) {
  if (!v.is_boolean()) return ExpectedValue(key, "true or false", v);
  return *out = v.get<bool>(), Status();
}

Status ReadIntAtLeast(const std::string& key, const nlohmann::json& v, int64_t min, int64_t* out) {
  if (!v.is_number_integer() || v.get<int64_t>() < min) return ExpectedValue(key, "an integer >= " + std::to_string(min), v);
  return *out = v.get<int64_t>(), Status();
}

}  // namespace knob
