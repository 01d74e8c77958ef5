// The study file of `knob run`: one YAML or JSON document that says which study
// to run (name, storage, direction, sampler, pruner, search space), its budget,
// the trainer command and the machine's resources. Everything is checked before
// anything runs; an error is one line naming the file, the line (YAML) and the
// key. The parsed document is stored with the study so that `knob resume`
// continues without the file. Called by the `run`/`resume` commands.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "studies/study.h"

namespace knob {

struct TrainerSpec {
  // argv with {placeholders}: space parameters and {trial_number}, {trial_dir},
  // {study_dir}, {study}, {resume_dir}; "{{" and "}}" are literal braces.
  std::vector<std::string> command;
  std::optional<double> timeout_seconds;  // per trial
  int retries = 0;                        // re-runs of a failed trial
  std::map<std::string, std::string> env;
  double stop_grace_seconds = 10;  // SIGTERM, then SIGKILL after this long
  // Where the trainer runs (placeholders as in command; relative to the study file).
  std::string working_dir = "{trial_dir}";
  // A trainer that offers to serve many trials (knob.serve) gets the next trial of
  // its slot instead of a new process; false: one process per trial.
  bool reuse = true;
  std::optional<int> max_trials_per_worker;  // then a serving worker is replaced
  // Processes per trial, started as torchrun starts them (RANK, WORLD_SIZE,
  // MASTER_ADDR/MASTER_PORT...); `processes_per_gpu`: one per GPU of the slot.
  // Several processes never reuse workers.
  int processes = 1;
  bool processes_per_gpu = false;
  // A trainer.log (each rank's) past this many MiB fails its trial: a print loop
  // must not fill the disk under the study.
  int max_log_mb = 1024;
};

// One constraint of the study file: `NAME` (that metric must be <= 0), `NAME <= L`
// or `NAME >= L`; its value, stored as Optuna does, is <= 0 when it holds.
struct ConstraintSpec {
  std::string metric;
  bool at_most = true;  // <=; false: >=
  double limit = 0;
  std::string text;     // as written, for messages
  double ValueOf(double metric_value) const { return at_most ? metric_value - limit : limit - metric_value; }
};
Result<ConstraintSpec> ParseConstraint(const std::string& text);

// What happens to the checkpoints of trials once they are done.
enum class CheckpointKeep { kAll, kBest, kNone };

struct ResourceSpec {
  // "all", "none", or the listed GPU ids (as CUDA_VISIBLE_DEVICES names them).
  std::string gpus = "all";
  std::vector<std::string> gpu_ids;
  int gpus_per_trial = 1;
  int trials_per_gpu = 1;
  std::optional<int> cpu_slots;  // trials at once without GPUs; default: the cores
};

struct StudyFile {
  std::string name;      // the file as the user named it, for messages
  std::string base_dir;  // relative paths in the file resolve here (absolute)
  StudyConfig config;    // name, direction, sampler, space, pruner
  std::string storage;   // a storage URL, relative paths resolved
  std::string metric;    // the trainer metric that is the objective ("" = "value"); metrics[0]
  std::vector<std::string> metrics;  // several objectives: the metric of each, in order (or none: "values")
  std::vector<ConstraintSpec> constraints;  // on the trainer's metrics
  std::optional<int> n_trials;            // COMPLETE + PRUNED trials wanted
  std::optional<double> timeout_seconds;  // no new trials after this long
  std::optional<int> max_failures;        // failures in a row that stop the run
  std::string output_dir;                 // one folder per trial under it
  double heartbeat_seconds = 10;
  double stale_after_seconds = 60;  // another worker's trial without a heartbeat this long is dead
  TrainerSpec trainer;
  ResourceSpec resources;
  // kBest: the checkpoint-* folders of pruned, failed (not to be retried) and
  // non-best complete trials are removed; kNone: those of every finished trial.
  CheckpointKeep keep_checkpoints = CheckpointKeep::kAll;
  nlohmann::json document;  // the file's content as JSON, stored with the study
};

// The study system attribute that keeps the study file a `knob run` used:
// {"file": name, "dir": folder, "document": the file as JSON}.
inline constexpr const char* kStoredStudyFileAttr = "knob:study_file";

// Reads the file at `path`, applies `sets` ("trainer.timeout=5m", as
// base/key_overrides takes them) and checks the result.
Result<StudyFile> LoadStudyFile(const std::string& path, const std::vector<std::string>& sets = {});
// Checks a document already read (a stored one, for resume). `lines` may be empty.
Result<StudyFile> ParseStudyFile(const std::string& name, const std::string& base_dir,
                                 const nlohmann::json& document,
                                 const std::map<std::string, int>& lines = {});

// The study-file text of a trainer command word with its placeholders filled in.
// Unknown names are bad input; `values` maps names to text.
Result<std::string> FillPlaceholders(const std::string& word,
                                     const std::map<std::string, std::string>& values);
// The placeholder names a word uses.
Result<std::vector<std::string>> PlaceholderNames(const std::string& word);

}  // namespace knob
