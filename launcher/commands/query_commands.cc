// trials, best-trial, best-trials, importance: read-only views of a study.
#include <memory>

#include "launcher/commands/command_support.h"
#include "launcher/commands/commands.h"
#include "search/importance/fanova.h"

namespace knob {
namespace {

struct QueryOptions {
  StudyLocation location;
  std::string format;
  std::string state;
  int objective = 0;
};

Status RunTrials(const QueryOptions& o) {
  KNOB_ASSIGN_OR_RETURN(OutputFormat format, ParseOutputFormat(o.format));
  std::optional<TrialState> only;
  if (!o.state.empty()) {
    std::string upper;
    for (char c : o.state) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    only = ParseTrialState(upper);
    if (!only)
      return Error::BadInput("--state must be running, complete, pruned, fail or waiting, got '" +
                             o.state + "'");
  }
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kRead));
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, opened.study->Snapshot());
  std::vector<nlohmann::ordered_json> rows;
  for (const auto& trial : snapshot.trials)
    if (!only || trial.state == *only)
      rows.push_back(TrialRecord(trial, format == OutputFormat::kJson));
  Print(RenderRecords(rows, format));
  return {};
}

Status RunBestTrial(const QueryOptions& o) {
  KNOB_ASSIGN_OR_RETURN(OutputFormat format, ParseOutputFormat(o.format));
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kRead));
  if (opened.study->objectives() > 1)
    return Error::BadInput("study '" + opened.study->record().name + "' has " +
                           std::to_string(opened.study->objectives()) +
                           " objectives: there is no single best trial; `knob best-trials` shows the Pareto front");
  KNOB_ASSIGN_OR_RETURN(auto best, opened.study->BestTrial());
  if (!best)
    return Error::Runtime("study '" + opened.study->record().name + "' has no COMPLETE trial yet");
  nlohmann::ordered_json record = TrialRecord(*best, format == OutputFormat::kJson);
  if (auto dir = best->system_attrs.find("knob:trial_dir"); dir != best->system_attrs.end()) record["trial_dir"] = *dir;
  Print(RenderRecords({record}, format, /*single=*/true));
  return {};
}

Status RunBestTrials(const QueryOptions& o) {
  KNOB_ASSIGN_OR_RETURN(OutputFormat format, ParseOutputFormat(o.format));
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kRead));
  KNOB_ASSIGN_OR_RETURN(auto front, opened.study->BestTrials());
  std::vector<nlohmann::ordered_json> rows;
  for (const auto& trial : front) {
    nlohmann::ordered_json record = TrialRecord(trial, format == OutputFormat::kJson);
    if (auto dir = trial.system_attrs.find("knob:trial_dir"); dir != trial.system_attrs.end()) record["trial_dir"] = *dir;
    rows.push_back(std::move(record));
  }
  Print(RenderRecords(rows, format));
  return {};
}

Status RunImportance(const QueryOptions& o) {
  KNOB_ASSIGN_OR_RETURN(OutputFormat format, ParseOutputFormat(o.format));
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kRead));
  if (o.objective < 0 || static_cast<size_t>(o.objective) >= opened.study->objectives())
    return Error::BadInput("--objective must be 0 to " + std::to_string(opened.study->objectives() - 1) +
                           " (study '" + opened.study->record().name + "' has " +
                           std::to_string(opened.study->objectives()) + " objective(s)), got " +
                           std::to_string(o.objective));
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, opened.study->Snapshot());
  ImportanceOptions options;
  options.objective = o.objective;
  KNOB_ASSIGN_OR_RETURN(auto importances, ParamImportances(snapshot, options));
  std::vector<nlohmann::ordered_json> rows;
  for (const auto& p : importances) rows.push_back({{"param", p.name}, {"importance", p.importance}});
  Print(RenderRecords(rows, format));
  return {};
}

}  // namespace

void AddImportanceCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<QueryOptions>();
  auto* cmd = app.add_subcommand("importance",
                                 "Rank the parameters by their share of the objective's variance (fANOVA, as "
                                 "Optuna 3.1's get_param_importances)");
  AddStudyOrFileOptions(cmd, o->location);
  AddFormatOption(cmd, o->format, "table");
  cmd->add_option("--objective", o->objective, "Which objective of a study with several (0-based)");
  cmd->callback([o, &status] { status = RunImportance(*o); });
}

void AddBestTrialsCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<QueryOptions>();
  auto* cmd = app.add_subcommand("best-trials",
                                 "Show the Pareto front: the COMPLETE feasible trials no other one dominates");
  AddStudyOrFileOptions(cmd, o->location);
  AddFormatOption(cmd, o->format, "table");
  cmd->callback([o, &status] { status = RunBestTrials(*o); });
}

void AddTrialsCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<QueryOptions>();
  auto* cmd = app.add_subcommand("trials", "List a study's trials");
  AddStudyOrFileOptions(cmd, o->location);
  AddFormatOption(cmd, o->format, "table");
  cmd->add_option("--state", o->state, "only trials in this state");
  cmd->callback([o, &status] { status = RunTrials(*o); });
}

void AddBestTrialCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<QueryOptions>();
  auto* cmd = app.add_subcommand("best-trial", "Show the best COMPLETE trial (exit 1 if none)");
  AddStudyOrFileOptions(cmd, o->location);
  AddFormatOption(cmd, o->format, "table");
  cmd->callback([o, &status] { status = RunBestTrial(*o); });
}

}  // namespace knob
