#include "launcher/run/trainer_messages.h"

#include <cmath>
#include <fstream>

#include "base/input_reader.h"
#include "base/json_text.h"

namespace knob {
namespace {

std::optional<double> NumberOf(const nlohmann::json& value) {
  if (value.is_number()) return value.get<double>();
  return std::nullopt;
}

}  // namespace

Result<TrainerMessage> ParseTrainerMessage(const std::string& line, const std::string& metric) {
  KNOB_ASSIGN_OR_RETURN(nlohmann::json json, ParseJsonText("trainer message", line));
  if (!json.is_object() || !json.contains("type") || !json["type"].is_string())
    return Error::BadInput("trainer message without a \"type\": " + PrintableExcerpt(line));
  TrainerMessage message;
  std::string type = json["type"].get<std::string>();
  if (type == "report") message.type = TrainerMessage::Type::kReport;
  else if (type == "result") message.type = TrainerMessage::Type::kResult;
  else return Error::BadInput("unknown trainer message type " + QuoteForMessage(type));
  if (json.contains("metrics")) {
    if (!json["metrics"].is_object())
      return Error::BadInput("trainer message: \"metrics\" must be an object: " + PrintableExcerpt(line));
    message.metrics = json["metrics"];
  }
  if (json.contains("value") && !json["value"].is_null()) {
    message.value = NumberOf(json["value"]);
    if (!message.value) return Error::BadInput("trainer message: \"value\" is not a number: " + PrintableExcerpt(line));
  } else if (!metric.empty() && message.metrics.contains(metric)) {
    message.value = NumberOf(message.metrics[metric]);
  }
  if (message.type == TrainerMessage::Type::kReport) {
    if (!json.contains("step") || !json["step"].is_number_integer() || json["step"].get<int64_t>() < 0)
      return Error::BadInput("trainer report: \"step\" must be an integer >= 0: " + PrintableExcerpt(line));
    message.step = json["step"].get<int64_t>();
    if (!message.value)
      return Error::BadInput("trainer report without a value" +
                             (metric.empty() ? std::string() : " or metric '" + metric + "'") + ": " + PrintableExcerpt(line));
  }
  return message;
}

std::string DecisionLine(bool prune) {
  return prune ? "{\"type\":\"decision\",\"prune\":true}\n" : "{\"type\":\"decision\",\"prune\":false}\n";
}

std::string ErrorLine(const std::string& message) {
  return DumpJson(nlohmann::json{{"type", "error"}, {"message", message}}) + "\n";
}

std::optional<double> FindStdoutResult(const std::string& log_path) {
  std::ifstream in(log_path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  constexpr std::streamoff kWindow = 8 << 20;
  in.seekg(size > kWindow ? size - kWindow : 0);
  std::optional<double> found;
  std::string line;
  while (std::getline(in, line)) {
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line.compare(start, 14, "{\"knob_result\"") != 0) continue;
    auto json = ParseJsonText("knob_result line", line.substr(start));
    if (!json.ok() || !json->is_object()) continue;
    if (auto v = NumberOf((*json)["knob_result"])) found = v;
  }
  return found;
}

}  // namespace knob
