#include "studies/yaml_document.h"

#include <cmath>
#include <regex>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include "base/input_reader.h"

namespace knob {
namespace {

// Converts yaml-cpp's tree, holding it to the reader's limits: aliases make a
// document expand (an "alias bomb"), so values are counted as they are written out.
class Converter {
 public:
  Converter(const std::string& name, YamlDocument& doc, const InputLimits& limits)
      : name_(name), doc_(doc), limits_(limits) {}

  Result<nlohmann::json> Convert(const YAML::Node& node, const std::string& path, int depth);

 private:
  Error Fail(const YAML::Node& node, const std::string& path, const std::string& what) const {
    return Error::BadInput(name_ + ":" + std::to_string(node.Mark().line + 1) + ": " +
                           (path.empty() ? "" : path + ": ") + what);
  }
  Result<nlohmann::json> TypedScalar(const YAML::Node& node, const std::string& path) const;

  const std::string& name_;
  YamlDocument& doc_;
  const InputLimits& limits_;
  size_t values_ = 0;
};

Result<nlohmann::json> Converter::TypedScalar(const YAML::Node& node, const std::string& path) const {
  const std::string& text = node.Scalar();
  if (auto valid = CheckText("value", text, limits_.max_bytes); !valid.ok())
    return Fail(node, path, valid.error().message);
  if (node.Tag() == "!") return nlohmann::json(text);  // quoted: always a string
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nlohmann::json(nullptr);
  if (text == "true" || text == "True" || text == "TRUE") return nlohmann::json(true);
  if (text == "false" || text == "False" || text == "FALSE") return nlohmann::json(false);
  bool integer = std::regex_match(text, kInt);
  if (integer || std::regex_match(text, kFloat)) {
    if (integer)
      if (auto i = ParseInteger("value", text); i.ok()) return nlohmann::json(*i);
    auto number = ParseNumber("number", text);
    if (!number.ok()) return Fail(node, path, number.error().message);
    return nlohmann::json(*number);
  }
  if (text == ".inf" || text == "+.inf" || text == ".Inf" || text == ".INF") return nlohmann::json(INFINITY);
  if (text == "-.inf" || text == "-.Inf" || text == "-.INF") return nlohmann::json(-INFINITY);
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return nlohmann::json(NAN);
  return nlohmann::json(text);
}

Result<nlohmann::json> Converter::Convert(const YAML::Node& node, const std::string& path, int depth) {
  if (!path.empty()) doc_.lines.emplace(path, node.Mark().line + 1);
  if (++values_ > limits_.max_values)
    return Fail(node, path, "the document expands to more than " + std::to_string(limits_.max_values) +
                                " values (aliases?)");
  if ((node.IsMap() || node.IsSequence()) && depth >= limits_.max_depth)
    return Fail(node, path, "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) {
        if (!entry.first.IsScalar()) return Fail(entry.first, path, "a key must be a plain string");
        std::string key = entry.first.Scalar();
        if (auto valid = CheckText("key", key); !valid.ok()) return Fail(entry.first, path, valid.error().message);
        // yaml-cpp keeps both; the object would keep the second.
        if (object.contains(key)) return Fail(entry.first, path, KeyGivenTwice(key));
        std::string child = path.empty() ? key : path + "." + key;
        doc_.lines.emplace(child, entry.first.Mark().line + 1);
        KNOB_ASSIGN_OR_RETURN(object[key], Convert(entry.second, child, depth + 1));
      }
      return object;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        KNOB_ASSIGN_OR_RETURN(nlohmann::json item, Convert(node[i], path + "[" + std::to_string(i) + "]", depth + 1));
        array.push_back(std::move(item));
      }
      return array;
    }
    case YAML::NodeType::Scalar:
      return TypedScalar(node, path);
    default:
      return nlohmann::json(nullptr);
  }
}

}  // namespace

Result<YamlDocument> ParseYamlDocument(const std::string& name, const std::string& text) {
  YamlDocument doc;
  InputLimits limits;
  if (text.size() > limits.max_bytes)
    return Error::BadInput(name + ": " + std::to_string(text.size()) + " bytes is more than the limit of " +
                           std::to_string(limits.max_bytes));
  try {
    YAML::Node root = YAML::Load(text);
    Converter converter(name, doc, limits);
    KNOB_ASSIGN_OR_RETURN(doc.root, converter.Convert(root, "", 0));
  } catch (const YAML::DeepRecursion& e) {  // yaml-cpp's own guard, whose message is "bad file"
    return Error::BadInput(name + ":" + std::to_string(e.mark.line + 1) + ": malformed YAML: nested deeper than " +
                           std::to_string(e.depth()) + " levels");
  } catch (const YAML::Exception& e) {
    return Error::BadInput(name + ":" + std::to_string(e.mark.line + 1) + ": malformed YAML: " +
                           PrintableExcerpt(e.msg, 200));
  } catch (const std::exception& e) {  // allocation failures
    return Error::BadInput(name + ": cannot read the YAML document: " + e.what());
  }
  return doc;
}

}  // namespace knob
