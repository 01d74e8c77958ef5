#include "base/json_text.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace knob {
namespace {

template <class Json>
void Dump(const Json& value, std::string& out) {
  if (value.is_number_float()) {
    out += DumpNumber(value.template get<double>());
  } else if (value.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& [key, child] : value.items()) {
      if (!first) out += ',';
      first = false;
      out += Json(key).dump(-1, ' ', false, Json::error_handler_t::replace);
      out += ':';
      Dump(child, out);
    }
    out += '}';
  } else if (value.is_array()) {
    out += '[';
    for (size_t i = 0; i < value.size(); ++i) {
      if (i) out += ',';
      Dump(value[i], out);
    }
    out += ']';
  } else {
    out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

}  // namespace

std::string DumpNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  return nlohmann::json(value).dump();
}

std::string DumpJson(const nlohmann::json& value) {
  std::string out;
  Dump(value, out);
  return out;
}

std::string DumpJson(const nlohmann::ordered_json& value) {
  std::string out;
  Dump(value, out);
  return out;
}

std::string ShortNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

}  // namespace knob
