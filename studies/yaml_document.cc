#include "studies/yaml_document.h"

#include <cmath>
#include <regex>

#include <yaml-cpp/yaml.h>

namespace knob {
namespace {

nlohmann::json TypedScalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted: always a string
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  if (std::regex_match(text, kInt)) {
    try {
      return std::stoll(text);
    } catch (const std::out_of_range&) {
      return std::stod(text);
    }
  }
  if (std::regex_match(text, kFloat)) return std::stod(text);
  if (text == ".inf" || text == "+.inf" || text == ".Inf" || text == ".INF") return INFINITY;
  if (text == "-.inf" || text == "-.Inf" || text == "-.INF") return -INFINITY;
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return NAN;
  return text;
}

nlohmann::json Convert(const YAML::Node& node, const std::string& path, YamlDocument& doc) {
  if (!path.empty()) doc.lines.emplace(path, node.Mark().line + 1);
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) {
        std::string key = entry.first.as<std::string>();
        std::string child = path.empty() ? key : path + "." + key;
        doc.lines.emplace(child, entry.first.Mark().line + 1);
        object[key] = Convert(entry.second, child, doc);
      }
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (size_t i = 0; i < node.size(); ++i)
        array.push_back(Convert(node[i], path + "[" + std::to_string(i) + "]", doc));
      return array;
    }
    case YAML::NodeType::Scalar:
      return TypedScalar(node);
    default:
      return nullptr;
  }
}

}  // namespace

Result<YamlDocument> ParseYamlDocument(const std::string& name, const std::string& text) {
  YamlDocument doc;
  try {
    YAML::Node root = YAML::Load(text);
    doc.root = Convert(root, "", doc);
  } catch (const YAML::Exception& e) {
    return Error::BadInput(name + ":" + std::to_string(e.mark.line + 1) + ": malformed YAML: " + e.msg);
  }
  return doc;
}

}  // namespace knob
