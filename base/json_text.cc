#include "base/json_text.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace knob {
namespace {

// Replaces Python's bare NaN / Infinity / -Infinity tokens (outside strings) with
// sentinel strings that nlohmann can parse, and reports whether any was found.
std::string ReplaceNonFiniteTokens(const std::string& text, bool* found) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
    } else if (text.compare(i, 3, "NaN") == 0) {
      out += "\"\\u0001NaN\"";
      i += 2;
      *found = true;
    } else if (text.compare(i, 8, "Infinity") == 0) {
      out += "\"\\u0001Inf\"";
      i += 7;
      *found = true;
    } else if (text.compare(i, 9, "-Infinity") == 0) {
      out += "\"\\u0001-Inf\"";
      i += 8;
      *found = true;
    } else {
      out += c;
    }
  }
  return out;
}

void RestoreNonFinite(nlohmann::json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (s == "\x01NaN") value = std::numeric_limits<double>::quiet_NaN();
    else if (s == "\x01Inf") value = std::numeric_limits<double>::infinity();
    else if (s == "\x01-Inf") value = -std::numeric_limits<double>::infinity();
  } else if (value.is_structured()) {
    for (auto& child : value) RestoreNonFinite(child);
  }
}

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
      out += Json(key).dump();
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
    out += value.dump();
  }
}

}  // namespace

Result<nlohmann::json> ParseJsonText(const std::string& what, const std::string& text) {
  bool found = false;
  std::string prepared = ReplaceNonFiniteTokens(text, &found);
  try {
    auto value = nlohmann::json::parse(prepared);
    if (found) RestoreNonFinite(value);
    return value;
  } catch (const nlohmann::json::parse_error& e) {
    return Error::BadInput(what + ": malformed JSON at byte " + std::to_string(e.byte) + ": " +
                           (text.size() > 60 ? text.substr(0, 60) + "..." : text));
  }
}

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
