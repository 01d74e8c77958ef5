// Reads a YAML (or JSON) text into JSON, remembering the line of every key, so
// that the study file's checks can say "study.yaml:12: trainer.timeout: ...".
// Plain scalars are typed as YAML 1.2's core schema types them (null, true/false,
// integers, floats including .inf/.nan); quoted scalars stay strings.
// Called by the study-file parser.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

struct YamlDocument {
  nlohmann::json root;
  // Line (1-based) of each value by its dotted path: "trainer.command", "space.lr.low".
  std::map<std::string, int> lines;
};

// Bad input "<name>:<line>: <what is wrong>" on malformed YAML.
Result<YamlDocument> ParseYamlDocument(const std::string& name, const std::string& text);

}  // namespace knob
