// run, resume: whole studies driven by a study file.
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <memory>

#include "base/input_reader.h"
#include "base/json_text.h"
#include "launcher/commands/command_support.h"
#include "launcher/commands/commands.h"
#include "launcher/run/event_log.h"
#include "launcher/run/orchestrator.h"
#include "launcher/run/slots.h"
#include "launcher/run/trial_folders.h"
#include "launcher/run/trial_process.h"

namespace knob {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStudyFileAttr = kStoredStudyFileAttr;

struct RunOverrides {
  std::string gpus;  // "all", "none" or "0,2"
  int n_trials = 0;  // 0: as the file says
  std::string log_level = "info";
};

// A budget read by the one integer reader, 1 up (CLI11's PositiveNumber printed its range
// to 300 digits and called "5abc" out of range).
std::string CheckPositiveCount(const std::string& text) {
  Result<int64_t> value = ParseInteger("--n-trials", text);
  if (!value.ok() || *value < 1 || *value > INT_MAX)
    return "must be a whole number from 1 to " + std::to_string(INT_MAX) + ", got " + QuoteForMessage(text);
  return "";
}

void AddOverrideOptions(CLI::App* cmd, RunOverrides& o) {
  cmd->add_option("--gpus", o.gpus, "all, none or a list such as 0,2 (overrides resources.gpus)");
  cmd->add_option("--n-trials", o.n_trials, "budget of finished trials (overrides n_trials)")
      ->check(CLI::Validator(CheckPositiveCount, "POSITIVE"));
  cmd->add_option("--log-level", o.log_level,
                  "detail of knob.log in the output folder: trace, debug, info (default), warn, error, off");
}

Status ApplyOverrides(const RunOverrides& o, StudyFile& file) {
  KNOB_RETURN_IF_ERROR(EventLog::CheckLevel(o.log_level));
  if (o.n_trials > 0) file.n_trials = o.n_trials;
  if (!o.gpus.empty()) {
    file.resources.gpu_ids.clear();
    if (o.gpus == "all" || o.gpus == "none") {
      file.resources.gpus = o.gpus;
    } else {
      file.resources.gpus = "list";
      for (const auto& id : SplitCommas(o.gpus)) {
        if (id.empty()) return Error::BadInput("--gpus: empty GPU id in '" + o.gpus + "'");
        file.resources.gpu_ids.push_back(id);
      }
    }
  }
  if (!file.n_trials && !file.timeout_seconds)
    return Error::BadInput(file.name + ": a study needs a budget: set n_trials or timeout (or give --n-trials)");
  return {};
}

// The trainer program must exist before anything is written (unless a
// placeholder names it). Relative paths are taken from the study file's folder,
// since trials run in folders of their own.
Status CheckTrainerProgram(const StudyFile& file) {
  const std::string& program = file.trainer.command.at(0);
  if (program.find('{') != std::string::npos) return {};
  fs::path beside = fs::path(file.base_dir) / program;
  std::error_code ec;
  bool is_path = program.find('/') != std::string::npos;
  if (fs::path(program).is_relative() && (is_path || fs::exists(beside, ec))) {
    if (!FindExecutable(beside.string()).empty()) return {};
    return Error::BadInput(file.name + ": trainer.command[0]: '" + beside.string() +
                           "' is not an executable file");
  }
  if (FindExecutable(program).empty())
    return Error::BadInput(file.name + ": trainer.command[0]: '" + program +
                           "' is not an executable file or not on PATH");
  return {};
}

// Runs the study `file` describes, creating or continuing it in `storage`.
Status RunFile(StudyFile file, const RunOverrides& overrides, StorageAccess access) {
  KNOB_RETURN_IF_ERROR(ApplyOverrides(overrides, file));
  KNOB_RETURN_IF_ERROR(CheckTrainerProgram(file));
  MachineResources machine = DetectResources();
  auto slots = PlanSlots(file.resources, machine, file.trainer);
  if (!slots.ok()) return Error::BadInput(file.name + ": " + slots.error().message);
  KNOB_RETURN_IF_ERROR(Study::Validate(file.config));
  // A storage file yet to be made holds no study: an output folder another study
  // holds is refused before the file is created.
  if (Result<std::string> path = SqlitePathOf(file.storage); path.ok() && !fs::exists(*path))
    KNOB_RETURN_IF_ERROR(CheckOutputFolder(file.output_dir, file.storage, file.config.name, std::nullopt));
  KNOB_ASSIGN_OR_RETURN(auto storage, OpenStorage(file.storage, access));
  std::optional<Study> study;
  auto existing = storage->FindStudy(file.config.name);
  KNOB_RETURN_IF_ERROR(CheckOutputFolder(file.output_dir, file.storage, file.config.name,
                                         existing.ok() ? std::optional<int64_t>(existing->study_id) : std::nullopt));
  if (!existing.ok()) {
    auto created = Study::Create(*storage, file.config);
    // Another worker may have created it a moment ago: then it is continued.
    if (created.ok()) study = std::move(*created);
    else if (!storage->FindStudy(file.config.name).ok()) return created.error();
  }
  if (!study) {
    KNOB_ASSIGN_OR_RETURN(study, Study::Open(*storage, file.config.name));
    KNOB_RETURN_IF_ERROR(study->Reconfigure(file.config));
  }
  nlohmann::json stored = {{"file", file.name}, {"dir", file.base_dir}, {"document", file.document}};
  KNOB_RETURN_IF_ERROR(storage->SetStudySystemAttr(study->record().study_id, kStudyFileAttr, stored));
  RunPlan plan{file, *slots, machine.cores, isatty(STDERR_FILENO) == 1, overrides.log_level};
  return RunStudy(*storage, *study, plan);
}

struct RunOptions {
  std::string file;
  std::vector<std::string> sets;
  RunOverrides overrides;
};

Status RunRun(const RunOptions& o) {
  KNOB_ASSIGN_OR_RETURN(StudyFile file, LoadStudyFile(o.file, o.sets));
  return RunFile(std::move(file), o.overrides, StorageAccess::kCreate);
}

struct ResumeOptions {
  StudyLocation location;
  RunOverrides overrides;
};

Status RunResume(const ResumeOptions& o) {
  KNOB_ASSIGN_OR_RETURN(auto storage, OpenStorage(o.location.storage, StorageAccess::kWrite));
  KNOB_ASSIGN_OR_RETURN(StudyRecord record, storage->FindStudy(o.location.study));
  auto stored = record.system_attrs.find(kStudyFileAttr);
  if (stored == record.system_attrs.end() || !stored->is_object())
    return Error::BadInput("study '" + record.name + "' has no stored study file (it was not started by `knob run`)");
  std::string name = stored->value("file", "study file of '" + record.name + "'");
  KNOB_ASSIGN_OR_RETURN(StudyFile file, ParseStudyFile(name, stored->value("dir", "."),
                                                       stored->value("document", nlohmann::json())));
  file.storage = o.location.storage;
  storage.reset();
  return RunFile(std::move(file), o.overrides, StorageAccess::kWrite);
}

}  // namespace

void AddRunCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run (or continue) the study a YAML or JSON study file describes");
  cmd->add_option("file", o->file, "the study file")->required();
  cmd->add_option("--set", o->sets, "override any key of the file: --set trainer.timeout=5m --set sampler.seed=3")
      ->allow_extra_args(false);
  AddOverrideOptions(cmd, o->overrides);
  cmd->callback([o, &status] { status = RunRun(*o); });
}

void AddResumeCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<ResumeOptions>();
  auto* cmd = app.add_subcommand("resume", "Continue a study started by `knob run`, from its stored study file");
  AddStudyOptions(cmd, o->location);
  AddOverrideOptions(cmd, o->overrides);
  cmd->callback([o, &status] { status = RunResume(*o); });
}

}  // namespace knob
