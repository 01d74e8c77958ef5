#include "launcher/run/trainer_messages.h"

#include <cmath>
#include <fstream>

#include "base/input_reader.h"
#include "base/json_text.h"
#include "search/pareto.h"

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
  using Type = TrainerMessage::Type;
  std::string type = json["type"].get<std::string>();
  // Any string, the empty one too: Optuna accepts "" as a parameter name or attribute key.
  auto text_field = [&](const char* key, std::string* out) -> Status {
    if (!json.contains(key) || !json[key].is_string())
      return Error::BadInput("trainer " + type + ": \"" + key + "\" must be a string: " + PrintableExcerpt(line));
    *out = json[key].get<std::string>();
    return {};
  };
  auto flag = [&](const char* key, bool* out) -> Status {  // absent: false
    if (!json.contains(key)) return {};
    if (!json[key].is_boolean())
      return Error::BadInput("trainer " + type + ": \"" + key + "\" must be true or false: " + PrintableExcerpt(line));
    *out = json[key].get<bool>();
    return {};
  };
  if (type == "report") {
    message.type = Type::kReport;
  } else if (type == "result") {
    message.type = Type::kResult;
    KNOB_RETURN_IF_ERROR(flag("pruned", &message.pruned));
  } else if (type == "hello") {
    message.type = Type::kHello;
    if (!json.contains("protocol") || !json["protocol"].is_number_integer())
      return Error::BadInput("trainer hello: \"protocol\" must be an integer: " + PrintableExcerpt(line));
    if (json["protocol"].get<int64_t>() > kProtocolVersion || json["protocol"].get<int64_t>() < 1)
      return Error::BadInput("trainer hello: protocol " + DumpJson(json["protocol"]) + " is not one knob speaks (1 to " +
                             std::to_string(kProtocolVersion) + ")");
    KNOB_RETURN_IF_ERROR(flag("serves", &message.serves));
    KNOB_RETURN_IF_ERROR(flag("prunes_itself", &message.prunes_itself));
    return message;
  } else if (type == "suggest") {
    message.type = Type::kSuggest;
    KNOB_RETURN_IF_ERROR(text_field("name", &message.name));
    if (!json.contains("distribution") || !json["distribution"].is_object())
      return Error::BadInput("trainer suggest: \"distribution\" must be an object: " + PrintableExcerpt(line));
    message.distribution = json["distribution"];
    return message;
  } else if (type == "user_attr" || type == "system_attr") {
    message.type = type == "user_attr" ? Type::kUserAttr : Type::kSystemAttr;
    KNOB_RETURN_IF_ERROR(text_field("key", &message.name));
    if (!json.contains("value")) return Error::BadInput("trainer " + type + " without a \"value\": " + PrintableExcerpt(line));
    message.attr_value = json["value"];
    if (message.type == Type::kUserAttr) KNOB_RETURN_IF_ERROR(flag("study", &message.of_study));
    return message;
  } else if (type == "study") {
    message.type = Type::kStudy;
    KNOB_RETURN_IF_ERROR(flag("trials", &message.with_trials));
    return message;
  } else if (type == "enqueue") {
    message.type = Type::kEnqueue;
    if (!json.contains("params") || !json["params"].is_object())
      return Error::BadInput("trainer enqueue: \"params\" must be an object: " + PrintableExcerpt(line));
    message.params = json["params"];
    message.user_attrs = json.value("user_attrs", nlohmann::json::object());
    if (!message.user_attrs.is_object())
      return Error::BadInput("trainer enqueue: \"user_attrs\" must be an object: " + PrintableExcerpt(line));
    return message;
  } else if (type == "fail") {
    message.type = Type::kFail;
    if (json.contains("reason") && json["reason"].is_string()) message.reason = json["reason"].get<std::string>();
    // One line of at most 1000 bytes, cut on a character boundary.
    message.reason = PrintableExcerpt(message.reason.empty() ? "the trainer said it failed" : message.reason, 1000);
    return message;
  } else {
    return Error::BadInput("unknown trainer message type " + QuoteForMessage(type));
  }
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
  auto number_list = [&](const char* key, std::vector<double>* out) -> Status {
    if (!json[key].is_array()) return Error::BadInput(std::string("trainer result: \"") + key + "\" must be a list of numbers: " + PrintableExcerpt(line));
    for (const auto& v : json[key]) {
      auto n = NumberOf(v);
      if (!n) return Error::BadInput(std::string("trainer result: \"") + key + "\" must be a list of numbers: " + PrintableExcerpt(line));
      out->push_back(*n);
    }
    return {};
  };
  if (message.type == TrainerMessage::Type::kResult && json.contains("values")) {
    KNOB_RETURN_IF_ERROR(number_list("values", &message.values));
    if (message.values.empty()) return Error::BadInput("trainer result: \"values\" is empty: " + PrintableExcerpt(line));
    if (!message.value) message.value = message.values[0];
  }
  if (message.type == TrainerMessage::Type::kResult && json.contains("constraints")) {
    std::vector<double> constraints;
    KNOB_RETURN_IF_ERROR(number_list("constraints", &constraints));
    message.constraints = std::move(constraints);
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

bool IsAnswered(TrainerMessage::Type type) {
  using Type = TrainerMessage::Type;
  return type == Type::kReport || type == Type::kSuggest || type == Type::kUserAttr || type == Type::kSystemAttr ||
         type == Type::kStudy || type == Type::kEnqueue;
}

std::string ParamLine(const std::string& name, const nlohmann::json& value) {
  return DumpJson(nlohmann::json{{"type", "param"}, {"name", name}, {"value", value}}) + "\n";
}

std::string OkLine() { return "{\"type\":\"ok\"}\n"; }

namespace {

nlohmann::json TrialFields(const FrozenTrial& t) {
  return {{"number", t.number},
          {"state", TrialStateName(t.state)},
          {"value", t.value ? nlohmann::json(*t.value) : nlohmann::json()},
          {"values", t.values.empty() && t.value ? std::vector<double>{*t.value} : t.values},
          {"params", t.ParamsJson()},
          {"user_attrs", t.user_attrs}};
}

}  // namespace

std::string StudyLine(const StudyRecord& record, const StudySnapshot& snapshot, bool with_trials) {
  nlohmann::json directions = nlohmann::json::array();
  for (StudyDirection d : snapshot.AllDirections()) directions.push_back(DirectionName(d));
  std::vector<const FrozenTrial*> best;
  if (snapshot.IsMultiObjective()) best = ParetoFront(snapshot);
  else if (const FrozenTrial* t = snapshot.BestTrial()) best.push_back(t);
  nlohmann::json best_trials = nlohmann::json::array();
  for (const FrozenTrial* t : best) best_trials.push_back(TrialFields(*t));
  int complete = 0;
  for (const FrozenTrial& t : snapshot.trials) complete += t.state == TrialState::kComplete;
  nlohmann::json line = {{"type", "study"},           {"name", record.name},
                         {"directions", directions},  {"user_attrs", record.user_attrs},
                         {"n_complete", complete},    {"best_trials", best_trials}};
  if (with_trials) {
    nlohmann::json trials = nlohmann::json::array();
    for (const FrozenTrial& t : snapshot.trials) trials.push_back(TrialFields(t));
    line["trials"] = std::move(trials);
  }
  return DumpJson(line) + "\n";
}

std::string TrialLine(const NextTrial& trial) {
  nlohmann::json line = {{"type", "trial"},           {"number", trial.number},
                         {"params", trial.params},    {"trial_dir", trial.trial_dir},
                         {"working_dir", trial.working_dir}, {"log", trial.log_path},
                         {"resume_dir", trial.resume_dir.empty() ? nlohmann::json() : nlohmann::json(trial.resume_dir)}};
  return DumpJson(line) + "\n";
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
