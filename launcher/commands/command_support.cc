#include "launcher/commands/command_support.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base/input_reader.h"
#include "base/clock.h"
#include "base/json_text.h"
#include "base/text_file.h"
#include "studies/study_file.h"

namespace knob {

void AddStorageOption(CLI::App* command, std::string& storage) {
  command->add_option("--storage", storage, "sqlite:///path.db or a path (or $KNOB_STORAGE)")
      ->envname("KNOB_STORAGE")
      ->required();
}

void AddStudyOptions(CLI::App* command, StudyLocation& location) {
  AddStorageOption(command, location.storage);
  command->add_option("--study,--study-name", location.study, "study name")->required();
}

CLI::Option* AddListOption(CLI::App* command, const std::string& names, std::string& list,
                           const std::string& help) {
  return command->add_option_function<std::vector<std::string>>(
      names,
      [&list](const std::vector<std::string>& items) {
        list.clear();
        for (const auto& item : items) list += (list.empty() ? "" : ",") + item;
      },
      help);
}

void AddFormatOption(CLI::App* command, std::string& format, const std::string& default_format,
                     const std::string& formats) {
  format = default_format;
  command->add_option("-f,--format", format, formats + " (default " + default_format + ")");
}

void AddStudyOrFileOptions(CLI::App* command, StudyLocation& location) {
  command->add_option("file", location.file, "a study file (it names the storage and the study)");
  command->add_option("--storage", location.storage, "sqlite:///path.db or a path (or $KNOB_STORAGE)")
      ->envname("KNOB_STORAGE");
  command->add_option("--study,--study-name", location.study, "study name");
}

Result<StudyLocation> ResolveStudyLocation(const StudyLocation& given) {
  StudyLocation location = given;
  if (!location.file.empty()) {
    KNOB_ASSIGN_OR_RETURN(StudyFile file, LoadStudyFile(location.file));
    if (location.storage.empty()) location.storage = file.storage;
    if (location.study.empty()) location.study = file.config.name;
  }
  if (location.storage.empty() || location.study.empty())
    return Error::BadInput(std::string(location.storage.empty() ? "--storage" : "--study") +
                           " is required (or give the study file)");
  return location;
}

Result<OpenedStudy> OpenStudyAt(const StudyLocation& given, StorageAccess access) {
  KNOB_ASSIGN_OR_RETURN(StudyLocation location, ResolveStudyLocation(given));
  OpenedStudy opened;
  KNOB_ASSIGN_OR_RETURN(opened.storage, OpenStorage(location.storage, access));
  KNOB_ASSIGN_OR_RETURN(Study study, Study::Open(*opened.storage, location.study));
  opened.study = std::make_unique<Study>(std::move(study));
  return opened;
}

Result<nlohmann::json> ParseJsonArgument(const std::string& what, const std::string& text) {
  if (!text.empty() && text[0] == '@') {
    std::string path = text.substr(1);
    std::optional<std::string> content = ReadTextFile(path);
    if (!content) return Error::BadInput(what + ": cannot read file '" + path + "'");
    return ParseJsonText(what + " (" + path + ")", *content);
  }
  return ParseJsonText(what, text);
}

Result<double> ParseValueArgument(const std::string& what, const std::string& text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "nan") return NAN;
  if (lower == "inf" || lower == "infinity" || lower == "+inf" || lower == "+infinity") return INFINITY;
  if (lower == "-inf" || lower == "-infinity") return -INFINITY;
  auto value = ParseNumber(what, text);
  if (!value.ok() && value.error().message.find("expected a number") != std::string::npos)
    return Error::BadInput(what + " must be a number, got " + QuoteForMessage(text));
  return value;
}

nlohmann::ordered_json TrialRecord(const FrozenTrial& trial, bool detailed) {
  nlohmann::ordered_json record;
  record["number"] = trial.number;
  record["state"] = TrialStateName(trial.state);
  if (trial.values.size() > 1) {
    record["values"] = trial.values;  // a list, as Optuna's CLI prints it; values_0, values_1 as columns
  } else {
    record["value"] = trial.value ? nlohmann::ordered_json(*trial.value) : nlohmann::ordered_json();
  }
  record["datetime_start"] = trial.datetime_start.substr(0, 19);
  record["datetime_complete"] = trial.datetime_complete.substr(0, 19);
  auto seconds = SecondsBetween(trial.datetime_start, trial.datetime_complete);
  record["duration"] = seconds ? DurationText(*seconds) : "";
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  for (const auto& [name, param] : trial.params) params[name] = param.External();
  record["params"] = params;
  if (!trial.user_attrs.empty()) record["user_attrs"] = trial.user_attrs;
  if (auto constraints = trial.system_attrs.find("constraints"); constraints != trial.system_attrs.end())
    record["constraints"] = *constraints;
  auto reason = trial.system_attrs.find("knob:fail_reason");
  if (reason != trial.system_attrs.end()) record["fail_reason"] = *reason;
  if (detailed) {
    nlohmann::ordered_json steps = nlohmann::ordered_json::object();
    for (const auto& [step, value] : trial.intermediate_values) steps[std::to_string(step)] = value;
    record["intermediate_values"] = steps;
    record["system_attrs"] = trial.system_attrs;
  }
  return record;
}

void Print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

}  // namespace knob
