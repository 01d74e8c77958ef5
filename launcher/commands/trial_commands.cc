// ask, tell, report, enqueue, set-user-attr: the commands that change trials.
#include <memory>

#include "base/input_reader.h"
#include "base/json_text.h"
#include "launcher/commands/command_support.h"
#include "launcher/commands/commands.h"
#include "launcher/dashboard/html_report.h"

namespace knob {
namespace {

struct AskCommandOptions {
  StudyLocation location;
  std::string space;
  std::string format;
};

Status RunAsk(const AskCommandOptions& o) {
  KNOB_ASSIGN_OR_RETURN(OutputFormat format, ParseOutputFormat(o.format));
  std::optional<SearchSpace> space;
  if (!o.space.empty()) {
    KNOB_ASSIGN_OR_RETURN(nlohmann::json spec, ParseJsonArgument("--space", o.space));
    KNOB_ASSIGN_OR_RETURN(space, ParseSearchSpace(spec));
  }
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kWrite));
  KNOB_ASSIGN_OR_RETURN(FrozenTrial trial, opened.study->Ask(space));
  nlohmann::ordered_json record;
  record["number"] = trial.number;
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  for (const auto& [name, param] : trial.params) params[name] = param.External();
  record["params"] = params;
  Print(RenderRecords({record}, format, /*single=*/true));
  return {};
}

struct TellOptions {
  StudyLocation location;
  int trial = -1;
  std::string value;
  std::string values;       // "0.9,12.5": one per objective
  std::string constraints;  // "c1,c2": feasible when every one is <= 0
  std::string state;
  bool skip_if_finished = false;  // a finished trial: succeed without change (Optuna's flag)
};

// "a,b,c" as numbers (nan and inf spelled as for --value).
Result<std::vector<double>> ParseValueList(const std::string& what, const std::string& text) {
  std::vector<double> values;
  for (const auto& item : SplitCommas(text)) {
    KNOB_ASSIGN_OR_RETURN(double v, ParseValueArgument(what, item));
    values.push_back(v);
  }
  return values;
}

Result<TellRequest> TellRequestFrom(const TellOptions& o) {
  TellRequest request;
  if (!o.value.empty() && !o.values.empty()) return Error::BadInput("give --value or --values, not both");
  if (!o.value.empty()) {
    KNOB_ASSIGN_OR_RETURN(request.value, ParseValueArgument("--value", o.value));
  }
  if (!o.values.empty()) {
    KNOB_ASSIGN_OR_RETURN(request.values, ParseValueList("--values", o.values));
  }
  if (!o.constraints.empty()) {
    KNOB_ASSIGN_OR_RETURN(request.constraints, ParseValueList("--constraints", o.constraints));
  }
  if (o.state.empty() || o.state == "complete") {
    if (!request.value && request.values.empty())
      return Error::BadInput("tell needs --value (or --values), or --state pruned or fail");
    request.state = TrialState::kComplete;
  } else if (o.state == "pruned") {
    request.state = TrialState::kPruned;
  } else if (o.state == "fail") {
    if (request.value || !request.values.empty()) return Error::BadInput("--state fail takes no --value");
    request.state = TrialState::kFail;
  } else {
    return Error::BadInput("--state must be complete, pruned or fail, got '" + o.state + "'");
  }
  return request;
}

Status RunTell(const TellOptions& o) {
  KNOB_ASSIGN_OR_RETURN(TellRequest request, TellRequestFrom(o));
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kWrite));
  if (o.skip_if_finished) {
    auto trial = opened.storage->ReadTrial(opened.study->record().study_id, o.trial);
    if (trial.ok() && IsFinished(trial->state)) return {};
  }
  KNOB_RETURN_IF_ERROR(opened.study->Tell(o.trial, request));
  return {};
}

struct ReportOptions {
  StudyLocation location;
  std::string output;  // -o: write the HTML report instead
  int trial = -1;
  int64_t step = -1;
  std::string value;
  std::string format;
};

// `given`: how many of --trial, --step and --value the command line has.
Status RunReport(const ReportOptions& o, int given) {
  if (!o.output.empty()) {
    if (given > 0) return Error::BadInput("report takes -o (an HTML report) or --trial/--step/--value, not both");
    KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kRead));
    KNOB_RETURN_IF_ERROR(WriteHtmlReport(*opened.storage, opened.study->record(), o.output));
    Print("report of study " + opened.study->record().name + " written to " + o.output + "\n");
    return {};
  }
  if (given < 3)
    return Error::BadInput("report needs --trial, --step and --value (an intermediate value), or -o FILE (an HTML report)");
  KNOB_ASSIGN_OR_RETURN(OutputFormat format, ParseOutputFormat(o.format));
  KNOB_ASSIGN_OR_RETURN(double value, ParseValueArgument("--value", o.value));
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kWrite));
  KNOB_ASSIGN_OR_RETURN(bool prune, opened.study->Report(o.trial, o.step, value));
  nlohmann::ordered_json record;
  record["prune"] = prune;
  Print(RenderRecords({record}, format, /*single=*/true));
  return {};
}

struct EnqueueOptions {
  StudyLocation location;
  std::string params;
  std::string user_attrs;
};

Status RunEnqueue(const EnqueueOptions& o) {
  KNOB_ASSIGN_OR_RETURN(nlohmann::json params, ParseJsonArgument("--params", o.params));
  nlohmann::json user_attrs = nlohmann::json::object();
  if (!o.user_attrs.empty()) {
    KNOB_ASSIGN_OR_RETURN(user_attrs, ParseJsonArgument("--user-attrs", o.user_attrs));
  }
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kWrite));
  KNOB_ASSIGN_OR_RETURN(int number, opened.study->Enqueue(params, user_attrs));
  Print(std::to_string(number) + "\n");
  return {};
}

struct SetUserAttrOptions {
  StudyLocation location;
  std::optional<int> trial;
  std::string key;
  std::optional<std::string> value;
  std::optional<std::string> json;
};

Status RunSetUserAttr(const SetUserAttrOptions& o) {
  if (o.value.has_value() == o.json.has_value())
    return Error::BadInput("set-user-attr needs exactly one of --value and --json");
  nlohmann::json value;
  if (o.json) {
    KNOB_ASSIGN_OR_RETURN(value, ParseJsonText("--json", *o.json));
  } else {
    value = *o.value;
  }
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kWrite));
  return opened.study->SetUserAttr(o.trial, o.key, value);
}

}  // namespace

void AddAskCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<AskCommandOptions>();
  auto* cmd = app.add_subcommand(
      "ask", "Start a trial; prints {\"number\": N, \"params\": {...}} (exit 3: grid used up)");
  AddStudyOptions(cmd, o->location);
  cmd->add_option("--space,--search-space", o->space,
                  "search space as JSON or @file, knob's form or Optuna's (default: the study's)");
  AddFormatOption(cmd, o->format, "json");
  cmd->callback([o, &status] { status = RunAsk(*o); });
}

void AddTellCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<TellOptions>();
  auto* cmd = app.add_subcommand("tell", "Finish a trial with a value, or as pruned or failed");
  AddStudyOptions(cmd, o->location);
  cmd->add_option("--trial,--trial-number", o->trial, "trial number")->required();
  cmd->add_option("--value", o->value, "objective value (inf, -inf allowed; nan fails the trial)");
  AddListOption(cmd, "--values", o->values, "one value per objective, e.g. 0.91,12.5 or 0.91 12.5");
  cmd->add_option("--constraints", o->constraints, "constraint values, e.g. 0.3,-1 (feasible when all <= 0)");
  cmd->add_option("--state", o->state, "complete (default), pruned or fail");
  cmd->add_flag("--skip-if-finished", o->skip_if_finished, "succeed without change when the trial is finished");
  cmd->callback([o, &status] { status = RunTell(*o); });
}

void AddReportCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report",
                                 "Record an intermediate value of a running trial (prints whether the study's pruner "
                                 "stops it), or with -o write the study's dashboard as one HTML file");
  AddStudyOptions(cmd, o->location);
  auto* trial = cmd->add_option("--trial,--trial-number", o->trial, "trial number");
  auto* step = cmd->add_option("--step", o->step, "step (>= 0)");
  auto* value = cmd->add_option("--value", o->value, "intermediate value");
  cmd->add_option("-o,--output", o->output, "write a self-contained HTML report of the study to this file");
  AddFormatOption(cmd, o->format, "table");
  cmd->callback([o, &status, trial, step, value] {
    status = RunReport(*o, static_cast<int>((trial->count() > 0) + (step->count() > 0) + (value->count() > 0)));
  });
}

void AddEnqueueCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<EnqueueOptions>();
  auto* cmd = app.add_subcommand(
      "enqueue", "Queue a trial with fixed params; the next ask hands it out (prints its number)");
  AddStudyOptions(cmd, o->location);
  cmd->add_option("--params", o->params, "params as JSON or @file")->required();
  cmd->add_option("--user-attrs", o->user_attrs, "user attributes as JSON or @file");
  cmd->callback([o, &status] { status = RunEnqueue(*o); });
}

void AddSetUserAttrCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<SetUserAttrOptions>();
  auto* cmd = app.add_subcommand(
      "set-user-attr", "Set a user attribute of the study, or of a running trial with --trial");
  AddStudyOptions(cmd, o->location);
  cmd->add_option("--trial,--trial-number", o->trial, "trial number (default: the study itself)");
  cmd->add_option("-k,--key", o->key, "attribute name")->required();
  cmd->add_option("--value", o->value, "value, stored as a string");
  cmd->add_option("--json", o->json, "value as JSON");
  cmd->callback([o, &status] { status = RunSetUserAttr(*o); });
}

}  // namespace knob
