#include "base/value_reader.h"

#include <cmath>

#include "base/json_text.h"

namespace knob {

Error ExpectedValue(const std::string& key, const std::string& what, const nlohmann::json& got) {
  return KeyError(key, "expected " + what + ", got " + DumpJson(got));
}

Error KeyError(const std::string& key, const std::string& what) {
  Error error = Error::BadInput((key.empty() ? "" : key + ": ") + what);
  error.key = key;
  return error;
}

Status AboutKey(Status status, const std::string& key) {
  if (status.ok()) return status;
  Error error = status.error();
  error.key = key;
  return error;
}

Status ReadInt(const std::string& key, const nlohmann::json& v, int64_t min, int64_t* out, int64_t max) {
  bool huge = v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX);
  if (v.is_number_integer() && (huge || v.get<int64_t>() > max))
    return ExpectedValue(key, "an integer <= " + std::to_string(max), v);
  if (!v.is_number_integer() || v.get<int64_t>() < min)
    return ExpectedValue(key, "an integer >= " + std::to_string(min), v);
  *out = v.get<int64_t>();
  return {};
}

Status ReadNumber(const std::string& key, const nlohmann::json& v, double min, bool inclusive, double* out) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) ||
      (inclusive ? v.get<double>() < min : v.get<double>() <= min))
    return ExpectedValue(key, std::string("a number ") + (inclusive ? ">= " : "> ") + ShortNumber(min), v);
  *out = v.get<double>();
  return {};
}

Status ReadNumberIn(const std::string& key, const nlohmann::json& v, double low, double high, double* out) {
  if (!v.is_number() || !(v.get<double>() >= low && v.get<double>() <= high))
    return ExpectedValue(key, "a number in [" + ShortNumber(low) + ", " + ShortNumber(high) + "]", v);
  *out = v.get<double>();
  return {};
}

Status ReadBool(const std::string& key, const nlohmann::json& v, bool* out) {
  if (!v.is_boolean()) return ExpectedValue(key, "true or false", v);
  *out = v.get<bool>();
  return {};
}

Status ReadString(const std::string& key, const nlohmann::json& v, std::string* out) {
  if (!v.is_string()) return ExpectedValue(key, "a string", v);
  *out = v.get<std::string>();
  return {};
}

Status ReadChoice(const std::string& key, const nlohmann::json& v, const std::vector<std::string>& choices,
                  std::string* out) {
  for (const auto& c : choices)
    if (v == c) return *out = c, Status();
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) list += (i ? (i + 1 == choices.size() ? " or " : ", ") : "") + choices[i];
  return ExpectedValue(key, list, v);
}

Status CheckKnownKeys(const std::string& key, const nlohmann::json& object, const std::set<std::string>& known) {
  if (!object.is_object()) return ExpectedValue(key, "a mapping of keys", object);
  for (const auto& [k, v] : object.items()) {
    if (known.count(k)) continue;
    std::string path = key.empty() ? k : key + "." + k;
    std::string names;
    for (const auto& n : known) names += (names.empty() ? "" : ", ") + n;
    Error error = Error::BadInput("unknown key '" + path + "' (known here: " + names + ")");
    error.key = path;
    return error;
  }
  return {};
}

}  // namespace knob
