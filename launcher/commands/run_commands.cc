// run, resume, status: whole studies driven by a study file.
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "base/clock.h"
#include "base/json_text.h"
#include "launcher/commands/command_support.h"
#include "launcher/commands/commands.h"
#include "launcher/run/orchestrator.h"
#include "launcher/run/slots.h"
#include "launcher/run/trial_process.h"
#include "launcher/run/worker_identity.h"

namespace knob {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStudyFileAttr = "knob:study_file";

struct RunOverrides {
  std::string gpus;  // "all", "none" or "0,2"
  int n_trials = 0;  // 0: as the file says
};

void AddOverrideOptions(CLI::App* cmd, RunOverrides& o) {
  cmd->add_option("--gpus", o.gpus, "all, none or a list such as 0,2 (overrides resources.gpus)");
  cmd->add_option("--n-trials", o.n_trials, "budget of finished trials (overrides n_trials)")
      ->check(CLI::PositiveNumber);
}

Status ApplyOverrides(const RunOverrides& o, StudyFile& file) {
  if (o.n_trials > 0) file.n_trials = o.n_trials;
  if (!o.gpus.empty()) {
    file.resources.gpu_ids.clear();
    if (o.gpus == "all" || o.gpus == "none") {
      file.resources.gpus = o.gpus;
    } else {
      file.resources.gpus = "list";
      size_t start = 0;
      while (start <= o.gpus.size()) {
        size_t end = o.gpus.find(',', start);
        if (end == std::string::npos) end = o.gpus.size();
        std::string id = o.gpus.substr(start, end - start);
        if (id.empty()) return Error::BadInput("--gpus: empty GPU id in '" + o.gpus + "'");
        file.resources.gpu_ids.push_back(id);
        start = end + 1;
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
  auto slots = PlanSlots(file.resources, machine);
  if (!slots.ok()) return Error::BadInput(file.name + ": " + slots.error().message);
  KNOB_RETURN_IF_ERROR(Study::Validate(file.config));
  KNOB_ASSIGN_OR_RETURN(auto storage, OpenStorage(file.storage, access));
  std::optional<Study> study;
  if (storage->FindStudy(file.config.name).ok()) {
    KNOB_ASSIGN_OR_RETURN(study, Study::Open(*storage, file.config.name));
    KNOB_RETURN_IF_ERROR(study->Reconfigure(file.config));
  } else {
    KNOB_ASSIGN_OR_RETURN(study, Study::Create(*storage, file.config));
  }
  nlohmann::json stored = {{"file", file.name}, {"dir", file.base_dir}, {"document", file.document}};
  KNOB_RETURN_IF_ERROR(storage->SetStudySystemAttr(study->record().study_id, kStudyFileAttr, stored));
  RunPlan plan{file, *slots, machine.cores, isatty(STDERR_FILENO) == 1};
  return RunStudy(*storage, *study, plan);
}

struct RunOptions {
  std::string file;
  RunOverrides overrides;
};

Status RunRun(const RunOptions& o) {
  KNOB_ASSIGN_OR_RETURN(StudyFile file, LoadStudyFile(o.file));
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

struct StatusOptions {
  StudyLocation location;
  std::string format;
};

Status RunStatus(const StatusOptions& o) {
  KNOB_ASSIGN_OR_RETURN(OutputFormat format, ParseOutputFormat(o.format));
  KNOB_ASSIGN_OR_RETURN(OpenedStudy opened, OpenStudyAt(o.location, StorageAccess::kRead));
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, opened.study->Snapshot());
  const StudyRecord& record = opened.study->record();
  nlohmann::ordered_json counts;
  for (auto state : {TrialState::kComplete, TrialState::kPruned, TrialState::kFail, TrialState::kRunning,
                     TrialState::kWaiting})
    counts[TrialStateName(state)] = 0;
  std::vector<nlohmann::ordered_json> running;
  std::map<std::string, nlohmann::ordered_json> workers;
  std::string now = NowText();
  for (const auto& t : snapshot.trials) {
    counts[TrialStateName(t.state)] = counts[TrialStateName(t.state)].get<int>() + 1;
    if (t.state != TrialState::kRunning) continue;
    nlohmann::ordered_json row;
    row["number"] = t.number;
    nlohmann::json slot = t.system_attrs.value("knob:slot", nlohmann::json::object());
    std::string label = "-";
    if (slot.contains("gpus") && !slot["gpus"].empty()) {
      label = "gpu ";
      for (size_t i = 0; i < slot["gpus"].size(); ++i) label += (i ? "," : "") + slot["gpus"][i].get<std::string>();
    } else if (slot.contains("index")) {
      label = "cpu " + std::to_string(slot["index"].get<int>());
    }
    row["slot"] = label;
    std::string worker = "-";
    if (auto w = t.system_attrs.find("knob:worker"); w != t.system_attrs.end()) {
      WorkerIdentity id = WorkerIdentity::FromJson(*w);
      std::string alive = id.OnThisMachine() ? (id.IsAlive() ? "" : " (dead)") : "";
      worker = id.host + ":" + std::to_string(id.pid) + alive;
      auto& entry = workers[worker];
      entry["worker"] = worker;
      entry["slots"] = w->value("slots", 0);
      entry["busy"] = entry.value("busy", 0) + 1;
    }
    row["worker"] = worker;
    auto seconds = SecondsBetween(t.datetime_start, now);
    row["elapsed_s"] = seconds ? std::round(*seconds * 10) / 10 : 0.0;
    if (!t.intermediate_values.empty()) {
      row["step"] = t.intermediate_values.rbegin()->first;
      row["value"] = t.intermediate_values.rbegin()->second;
    } else {
      row["step"] = nullptr;
      row["value"] = nullptr;
    }
    row["params"] = t.ParamsJson();
    running.push_back(row);
  }
  nlohmann::ordered_json best = nullptr;
  if (const FrozenTrial* b = snapshot.BestTrial()) {
    best = nlohmann::ordered_json::object();
    best["number"] = b->number;
    best["value"] = *b->value;
    best["params"] = b->ParamsJson();
  }
  std::optional<int> budget;
  if (auto f = record.system_attrs.find(kStudyFileAttr); f != record.system_attrs.end()) {
    auto doc = f->value("document", nlohmann::json::object());
    if (doc.contains("n_trials") && doc["n_trials"].is_number_integer()) budget = doc["n_trials"].get<int>();
  }
  if (format == OutputFormat::kJson) {
    nlohmann::ordered_json out;
    out["study"] = record.name;
    out["direction"] = DirectionName(record.direction);
    out["n_trials"] = budget ? nlohmann::ordered_json(*budget) : nlohmann::ordered_json(nullptr);
    out["counts"] = counts;
    out["best"] = best;
    out["workers"] = nlohmann::ordered_json::array();
    for (auto& [k, w] : workers) out["workers"].push_back(w);
    out["running"] = running;
    Print(DumpJson(out) + "\n");
    return {};
  }
  int finished = counts["COMPLETE"].get<int>() + counts["PRUNED"].get<int>();
  std::string text = "study " + record.name + " (" + DirectionName(record.direction) + "): " +
                     std::to_string(finished) + (budget ? " of " + std::to_string(*budget) : "") +
                     " trials done\n";
  std::string tally;
  for (auto& [state, n] : counts.items()) tally += (tally.empty() ? "" : ", ") + std::to_string(n.get<int>()) + " " + state;
  text += "trials: " + tally + "\n";
  text += best.is_null() ? std::string("best: none yet\n")
                         : "best: trial " + std::to_string(best["number"].get<int>()) + " = " +
                               DumpNumber(best["value"].get<double>()) + " " + DumpJson(best["params"]) + "\n";
  for (auto& [name, w] : workers)
    text += "worker " + name + ": " + std::to_string(w["busy"].get<int>()) + " of " +
            std::to_string(w["slots"].get<int>()) + " slots busy\n";
  if (!running.empty()) text += "running:\n" + RenderRecords(running, format);
  Print(text);
  return {};
}

}  // namespace

void AddRunCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run (or continue) the study a YAML or JSON study file describes");
  cmd->add_option("file", o->file, "the study file")->required();
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

void AddStatusCommand(CLI::App& app, Status& status) {
  auto o = std::make_shared<StatusOptions>();
  auto* cmd = app.add_subcommand("status", "Show a study's progress: counts, best trial, running trials and slots");
  AddStudyOptions(cmd, o->location);
  AddFormatOption(cmd, o->format, "table");
  cmd->callback([o, &status] { status = RunStatus(*o); });
}

}  // namespace knob
