#include "base/key_overrides.h"

#include <algorithm>

#include "base/input_reader.h"

namespace knob {

Result<nlohmann::json> ApplyKeyOverrides(nlohmann::json document, const std::vector<std::string>& sets) {
  for (const auto& set : sets) {
    KNOB_RETURN_IF_ERROR(CheckText("--set", set));
    size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0)
      return Error::BadInput("--set " + set + ": expected key=value");
    std::string key = set.substr(0, eq), text = set.substr(eq + 1);
    if (std::count(key.begin(), key.end(), '.') > 8)
      return Error::BadInput("--set " + QuoteForMessage(key) + ": keys are nested at most 8 sections deep");
    auto parsed = ParseJsonText("--set " + key, text);
    // A value that is not JSON is a string; one that is JSON but refused (a number
    // out of range, too deep) is an error.
    if (!parsed.ok() && parsed.error().message.find("malformed JSON") == std::string::npos)
      return parsed.error();
    nlohmann::json value = parsed.ok() ? *parsed : nlohmann::json(text);
    nlohmann::json* target = &document;
    size_t start = 0, dot;
    while ((dot = key.find('.', start)) != std::string::npos) {
      std::string section = key.substr(start, dot - start);
      if (!(*target)[section].is_object()) (*target)[section] = nlohmann::json::object();
      target = &(*target)[section];
      start = dot + 1;
    }
    (*target)[key.substr(start)] = value;
  }
  return document;
}

}  // namespace knob
