#include "trainer/model_spec.h"

#include <functional>
#include <map>

#include "base/json_text.h"
#include "base/value_reader.h"

namespace knob {
namespace {

Status ReadWidths(const std::string& key, const nlohmann::json& v, bool allow_empty, std::vector<int64_t>* out) {
  if (!v.is_array() || (!allow_empty && v.empty())) return ExpectedValue(key, "a list of integers >= 1", v);
  out->clear();
  for (const auto& w : v) {
    if (!w.is_number_integer() || w.get<int64_t>() < 1) return ExpectedValue(key, "a list of integers >= 1", v);
    out->push_back(w.get<int64_t>());
  }
  return {};
}

Status ReadFraction(const std::string& key, const nlohmann::json& v, double* out) {
  if (!v.is_number() || v.get<double>() < 0 || v.get<double>() >= 1) return ExpectedValue(key, "a number in [0, 1)", v);
  return *out = v.get<double>(), Status();
}

using Reader = std::function<Status(const nlohmann::json&, ModelSpec&)>;

const std::map<std::string, Reader>& Readers() {
  static const std::map<std::string, Reader> readers = {
      {"type", [](const nlohmann::json& v, ModelSpec& m) -> Status {
         std::string type;
         KNOB_RETURN_IF_ERROR(ReadChoice("model.type", v, {"mlp", "cnn"}, &type));
         m.type = type == "cnn" ? ModelType::kCnn : ModelType::kMlp;
         return {};
       }},
      {"hidden", [](const nlohmann::json& v, ModelSpec& m) { return ReadWidths("model.hidden", v, true, &m.hidden); }},
      {"activation", [](const nlohmann::json& v, ModelSpec& m) {
         return ReadChoice("model.activation", v, {"relu", "gelu", "tanh", "silu"}, &m.activation);
       }},
      {"dropout", [](const nlohmann::json& v, ModelSpec& m) { return ReadFraction("model.dropout", v, &m.dropout); }},
      {"norm", [](const nlohmann::json& v, ModelSpec& m) {
         return ReadChoice("model.norm", v, {"none", "batch", "layer"}, &m.norm);
       }},
      {"channels", [](const nlohmann::json& v, ModelSpec& m) { return ReadWidths("model.channels", v, false, &m.channels); }},
      {"kernel", [](const nlohmann::json& v, ModelSpec& m) -> Status {
         if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() % 2 == 0)
           return ExpectedValue("model.kernel", "an odd integer >= 1", v);
         return m.kernel = v.get<int64_t>(), Status();
       }},
      {"convs_per_block", [](const nlohmann::json& v, ModelSpec& m) {
         return ReadInt("model.convs_per_block", v, 1, &m.convs_per_block);
       }},
      {"batch_norm", [](const nlohmann::json& v, ModelSpec& m) { return ReadBool("model.batch_norm", v, &m.batch_norm); }},
      {"pooling", [](const nlohmann::json& v, ModelSpec& m) {
         return ReadChoice("model.pooling", v, {"max", "avg", "none"}, &m.pooling);
       }},
      {"conv_dropout", [](const nlohmann::json& v, ModelSpec& m) {
         return ReadFraction("model.conv_dropout", v, &m.conv_dropout);
       }},
  };
  return readers;
}

const char* const kCnnOnly[] = {"channels", "kernel", "convs_per_block", "batch_norm", "pooling", "conv_dropout"};

}  // namespace

Result<ModelSpec> ParseModelSpec(const nlohmann::json& section) {
  ModelSpec spec;
  if (!section.is_object()) return Error::BadInput("model: expected an object, got " + DumpJson(section));
  for (const auto& [key, value] : section.items()) {
    auto reader = Readers().find(key);
    if (reader == Readers().end()) return Error::BadInput("unknown key 'model." + key + "'");
    KNOB_RETURN_IF_ERROR(reader->second(value, spec));
  }
  if (spec.type == ModelType::kMlp) {
    for (const char* key : kCnnOnly)
      if (section.contains(key)) return Error::BadInput(std::string("model.") + key + ": only for type cnn");
    if (spec.hidden.empty()) return Error::BadInput("model.hidden: an MLP needs at least one hidden layer");
  } else if (section.contains("norm")) {
    return Error::BadInput("model.norm: only for type mlp (a CNN has batch_norm)");
  } else if (!section.contains("hidden")) {
    spec.hidden = {128};
  }
  return spec;
}

}  // namespace knob
