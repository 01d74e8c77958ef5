#include "search/option_reader.h"

#include <cmath>

#include "base/json_text.h"

namespace knob {

Error OptionReader::Invalid(const std::string& key, const std::string& what) const {
  return Error::BadInput(owner_ + ": option '" + key + "' " + what);
}

const nlohmann::json* OptionReader::Find(const std::string& key) const {
  if (!options_.is_object()) return nullptr;
  auto it = options_.find(key);
  return it == options_.end() ? nullptr : &*it;
}

bool OptionReader::Has(const std::string& key) const { return Find(key) != nullptr; }

Status OptionReader::CheckKnown(std::initializer_list<const char*> known) const {
  if (!options_.is_object())
    return Error::BadInput(owner_ + ": options must be a JSON object, got " + options_.dump());
  for (const auto& [key, value] : options_.items()) {
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found) return Error::BadInput(owner_ + ": unknown option '" + key + "'");
  }
  return {};
}

Status OptionReader::Int(const std::string& key, int64_t min, int* out) const {
  const nlohmann::json* value = Find(key);
  if (!value) return {};
  if (!value->is_number_integer() || value->get<int64_t>() < min || value->get<int64_t>() > 1000000000)
    return Invalid(key, "must be an integer >= " + std::to_string(min) + ", got " + value->dump());
  *out = value->get<int>();
  return {};
}

Status OptionReader::Number(const std::string& key, double min_exclusive, double* out) const {
  const nlohmann::json* value = Find(key);
  if (!value) return {};
  if (!value->is_number() || !(value->get<double>() > min_exclusive) ||
      !std::isfinite(value->get<double>()))
    return Invalid(key, "must be a number > " + ShortNumber(min_exclusive) + ", got " +
                            value->dump());
  *out = value->get<double>();
  return {};
}

Status OptionReader::NumberIn(const std::string& key, double low, double high, double* out) const {
  const nlohmann::json* value = Find(key);
  if (!value) return {};
  if (!value->is_number() || !(value->get<double>() >= low && value->get<double>() <= high))
    return Invalid(key, "must be a number in [" + ShortNumber(low) + ", " + ShortNumber(high) + "], got " + value->dump());
  *out = value->get<double>();
  return {};
}

Status OptionReader::OptionalNumber(const std::string& key, std::optional<double>* out) const {
  const nlohmann::json* value = Find(key);
  if (!value || value->is_null()) return {};
  if (!value->is_number() || !std::isfinite(value->get<double>()))
    return Invalid(key, "must be a number or null, got " + value->dump());
  *out = value->get<double>();
  return {};
}

Status OptionReader::Bool(const std::string& key, bool* out) const {
  const nlohmann::json* value = Find(key);
  if (!value) return {};
  if (!value->is_boolean()) return Invalid(key, "must be true or false, got " + value->dump());
  *out = value->get<bool>();
  return {};
}

}  // namespace knob
