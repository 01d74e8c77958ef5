#include "search/option_reader.h"

#include <cmath>

#include "base/json_text.h"
#include "base/value_reader.h"

namespace knob {

std::string OptionReader::Name(const std::string& key) const { return owner_ + ": option '" + key + "'"; }

Error OptionReader::Invalid(const std::string& key, const std::string& what) const {
  Error error = Error::BadInput(Name(key) + " " + what);
  error.key = key;
  return error;
}

const nlohmann::json* OptionReader::Find(const std::string& key) const {
  if (!options_.is_object()) return nullptr;
  auto it = options_.find(key);
  return it == options_.end() ? nullptr : &*it;
}

bool OptionReader::Has(const std::string& key) const { return Find(key) != nullptr; }

Status OptionReader::CheckKnown(std::initializer_list<const char*> known) const {
  if (!options_.is_object())
    return Error::BadInput(owner_ + ": options must be a JSON object, got " + DumpJson(options_));
  for (const auto& [key, value] : options_.items()) {
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found) {
      Error error = Error::BadInput(owner_ + ": unknown option '" + key + "'");
      error.key = key;
      return error;
    }
  }
  return {};
}

Status OptionReader::Int(const std::string& key, int64_t min, int* out) const {
  const nlohmann::json* value = Find(key);
  if (!value) return {};
  int64_t read = 0;
  KNOB_RETURN_IF_ERROR(AboutKey(ReadInt(Name(key), *value, min, &read, 1000000000), key));
  *out = static_cast<int>(read);
  return {};
}

Status OptionReader::Number(const std::string& key, double min_exclusive, double* out) const {
  const nlohmann::json* value = Find(key);
  if (!value) return {};
  return AboutKey(ReadNumber(Name(key), *value, min_exclusive, /*inclusive=*/false, out), key);
}

Status OptionReader::NumberIn(const std::string& key, double low, double high, double* out) const {
  const nlohmann::json* value = Find(key);
  if (!value) return {};
  return AboutKey(ReadNumberIn(Name(key), *value, low, high, out), key);
}

Status OptionReader::OptionalNumber(const std::string& key, std::optional<double>* out) const {
  const nlohmann::json* value = Find(key);
  if (!value || value->is_null()) return {};
  if (!value->is_number() || !std::isfinite(value->get<double>()))
    return AboutKey(ExpectedValue(Name(key), "a number or null", *value), key);
  *out = value->get<double>();
  return {};
}

Status OptionReader::Seed(std::optional<uint64_t>* out) const {
  const nlohmann::json* value = Find("seed");
  if (!value || value->is_null()) return {};
  if (!value->is_number_integer() || value->get<int64_t>() < 0)
    return Error::BadInput(owner_ + ": seed must be a non-negative integer, got " + DumpJson(*value));
  *out = value->get<uint64_t>();
  return {};
}

Status OptionReader::Bool(const std::string& key, bool* out) const {
  const nlohmann::json* value = Find(key);
  if (!value) return {};
  return AboutKey(ReadBool(Name(key), *value, out), key);
}

}  // namespace knob
