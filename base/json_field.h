// Reading one field of JSON that knob wrote but a person or another program may
// have changed since (a storage's attributes: a trial's worker and slot, a retry's
// history, a stored study file or pruner). It never throws: a field that is
// missing, of another type, or out of the type's range gives the fallback.
// Input that must be refused with a message goes through base/value_reader instead.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace knob {

// object[key] when `object` is an object holding `key` as a T (bool, an integer type,
// double or std::string; an integer that fits, for integer types); else `fallback`.
template <typename T>
T FieldOr(const nlohmann::json& object, const std::string& key, T fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end()) return fallback;
  const nlohmann::json& v = *it;
  if constexpr (std::is_same_v<T, bool>) {
    return v.is_boolean() ? v.get<bool>() : fallback;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return v.is_string() ? v.get<std::string>() : fallback;
  } else if constexpr (std::is_integral_v<T>) {
    if (v.is_number_unsigned()) return std::in_range<T>(v.get<uint64_t>()) ? static_cast<T>(v.get<uint64_t>()) : fallback;
    if (v.is_number_integer()) return std::in_range<T>(v.get<int64_t>()) ? static_cast<T>(v.get<int64_t>()) : fallback;
    return fallback;
  } else {
    static_assert(std::is_same_v<T, double>, "FieldOr reads bool, integers, double and std::string");
    return v.is_number() ? v.get<double>() : fallback;
  }
}

}  // namespace knob
