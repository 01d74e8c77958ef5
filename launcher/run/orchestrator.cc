#include "launcher/run/orchestrator.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "base/duration.h"
#include "base/json_text.h"
#include "launcher/run/event_log.h"
#include "launcher/run/process_trial_runner.h"
#include "launcher/run/progress.h"
#include "launcher/run/python_package.h"
#include "launcher/run/trial_folders.h"
#include "launcher/run/trial_verdict.h"
#include "launcher/run/worker_identity.h"
#include "search/distribution_json.h"
#include "search/pareto.h"

extern char** environ;

namespace knob {
namespace {

namespace fs = std::filesystem;

// Text of a parameter value in a trainer's argv: strings as they are, the rest as JSON.
std::string ArgvText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : DumpJson(value);
}

// A trial this worker runs, as the policy sees it.
struct ActiveTrial {
  FrozenTrial trial;
  const Slot* slot = nullptr;  // null: it never started
  std::string dir;
  std::string resume_dir;  // the folder of the attempt it retries, if that exists
  double started = 0;  // on the runner's clock
};

// The folder of the attempt that `trial` retries (its retry history's last), when
// that folder is there: a retried or interrupted trial resumes from its checkpoints.
std::string ResumeDirOf(const FrozenTrial& trial, const std::string& output_dir) {
  auto history = trial.system_attrs.find("retry_history");
  if (history == trial.system_attrs.end() || !history->is_array() || history->empty() ||
      !history->back().is_number_integer())
    return "";
  std::string dir = TrialFolder(output_dir, history->back().get<int>());
  std::error_code ec;
  return fs::is_directory(dir, ec) ? dir : "";
}

class Orchestrator : public TrialRunnerEvents {
 public:
  Orchestrator(Storage& storage, Study& study, const RunPlan& plan, TrialRunner& runner)
      : storage_(storage), study_(study), plan_(plan), file_(plan.file), runner_(runner),
        progress_(stderr, plan.live_progress), self_(WorkerIdentity::Self()) {}

  Status Run();

  // TrialRunnerEvents
  Result<bool> OnReport(int number, int64_t step, double value) override;
  Result<nlohmann::json> OnSuggest(int number, const std::string& name, const nlohmann::json& distribution) override;
  Status OnUserAttr(int number, bool of_study, const std::string& key, const nlohmann::json& value) override {
    if (of_study)  // the study lines hold the study's attributes
      for (StudyLineCache& cached : study_lines_) cached.line.clear();
    return study_.SetUserAttr(of_study ? std::nullopt : std::optional<int>(number), key, value);
  }
  Status OnSystemAttr(int number, const std::string& key, const nlohmann::json& value) override {
    return study_.SetSystemAttr(number, key, value);
  }
  Status OnEnqueue(int number, const nlohmann::json& params, const nlohmann::json& user_attrs) override;
  Result<std::string> OnStudyRequest(int number, bool with_trials) override;
  void OnEnded(int number, const TrialOutcome& outcome) override;
  void OnSignal(int signal) override;
  void OnWarning(const std::string& line) override { Warn(line); }

 private:
  // Setup and recovery.
  Status RecoverDeadWorkers();
  void FailOrphan(const FrozenTrial& trial, const std::string& reason);
  // Starting.
  void FillSlots();
  // Timeout, Ctrl-C, a fatal error or too many failures: no new trials, whatever the budget.
  bool Stopping() const;
  bool MayStart() const;
  // The trials running elsewhere when they hold the rest of the budget (else none).
  std::vector<int> BudgetHeldElsewhere();
  void StartTrial(const Slot& slot);
  Result<LaunchSpec> MakeLaunchSpec(const ActiveTrial& t, const Slot& slot);
  // Checkpoints: kept, or removed once a trial is done (checkpoints.keep).
  void KeepCheckpoints(const ActiveTrial& t, const FrozenTrial& told, bool retried, bool new_best);
  // Ending.
  void Record(const ActiveTrial& t, const TrialOutcome& outcome);
  // A write knob itself could not make (a full disk, a lost storage file): the run
  // stops with exit 1 and its running trials are stopped.
  void FailRun(const std::string& message);
  void Beat();
  void MaybeFinish();
  void Warn(const std::string& line) {
    progress_.Event("knob: " + line);
    log_.Warn(line);
  }
  void ShowProgress(bool force = false);
  // Counts trainers' failures that repeat the first one, as long as none succeeded.
  void NoteFirstFailures(const TrialVerdict& verdict, const std::string& last_log_line);

  Storage& storage_;
  Study& study_;
  const RunPlan& plan_;
  const StudyFile& file_;
  TrialRunner& runner_;
  Progress progress_;
  WorkerIdentity self_;
  EventLog log_;

  std::map<int, ActiveTrial> active_;  // by trial number
  std::set<int> busy_slots_;
  ProgressState counts_;
  std::vector<std::vector<double>> front_;  // several objectives: the values of the Pareto front
  double started_at_ = 0;
  int failures_in_a_row_ = 0;
  int max_failures_ = 10;
  // Before any trial succeeded: this many failing alike stop the run (unless the
  // study file sets max_failures), since the trainer itself is then broken.
  static constexpr int kSameFirstFailures = 3;
  std::string first_failure_;
  int same_first_failures_ = 0;
  bool nothing_to_ask_ = false;  // budget used up or sampler exhausted, as of the last ask
  // The budget is held by trials running elsewhere: wait for them to finish (or
  // to be failed as stale, freeing their place) before deciding the study is done.
  bool waiting_for_others_ = false;
  std::vector<int> announced_waiting_;  // the trials the last "waiting for" line named
  bool past_deadline_ = false;
  bool quit_ = false;
  int interrupts_ = 0;
  std::optional<Error> fatal_;
  // The last answer to a study request, reused until a trial of this run ends or
  // kStudyLineSeconds pass (other workers' trials), so that trainers asking in a
  // loop cost at most one storage read a second.
  static constexpr double kStudyLineSeconds = 1.0;
  struct StudyLineCache {
    std::string line;
    double at = 0;
  };
  StudyLineCache study_lines_[2];  // without and with every trial
};

Status Orchestrator::Run() {
  runner_.SetEvents(this);
  max_failures_ = file_.max_failures.value_or(std::max<int>(10, 2 * plan_.slots.size()));
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, storage_.ReadStudy(study_.record().study_id,
                                                                   {false, true, false, false}));
  for (const auto& t : snapshot.trials)
    counts_.done += t.state == TrialState::kComplete || t.state == TrialState::kPruned;
  if (const FrozenTrial* best = snapshot.BestTrial()) {
    counts_.best = best->value;
    counts_.best_number = best->number;
  }
  if (study_.objectives() > 1) {
    for (const FrozenTrial* t : ParetoFront(snapshot)) front_.push_back(t->values);
    counts_.front = static_cast<int>(front_.size());
  }
  counts_.budget = file_.n_trials;
  KNOB_RETURN_IF_ERROR(ClaimOutputFolder(file_.output_dir, file_.storage, study_.record()));
  KNOB_ASSIGN_OR_RETURN(log_, EventLog::Open(file_.output_dir, plan_.log_level));
  log_.Info("knob run of study '" + study_.record().name + "' in " + file_.storage + " as worker " +
            self_.Token() + ": " + std::to_string(counts_.done) + " trials done, " +
            std::to_string(plan_.slots.size()) + " slots");

  progress_.Event("knob: study '" + study_.record().name + "': " + std::to_string(counts_.done) +
                  (file_.n_trials ? " of " + std::to_string(*file_.n_trials) : "") + " trials done; " +
                  std::to_string(plan_.slots.size()) + " slots (" +
                  (plan_.slots[0].gpus.empty() ? "CPU" : "GPU") + "), trials in " + file_.output_dir);
  started_at_ = runner_.Now();
  Beat();  // also fails the trials of workers that died before this one started
  if (file_.timeout_seconds) {
    runner_.After(*file_.timeout_seconds, [this] {
      past_deadline_ = true;
      Warn("study timeout reached: no new trials; running ones finish");
      MaybeFinish();
    });
  }
  FillSlots();
  MaybeFinish();
  if (!quit_) runner_.Run();
  progress_.Close();

  auto best = study_.BestTrial();
  std::string summary = "knob: study '" + study_.record().name + "': " + std::to_string(counts_.done) +
                        " done (" + std::to_string(counts_.done_this_run) + " this run, " +
                        std::to_string(counts_.pruned) + " pruned, " + std::to_string(counts_.failed) +
                        " failed) in " + ShortDuration(runner_.Now() - started_at_);
  if (study_.objectives() > 1) {
    if (auto front = study_.BestTrials(); front.ok())
      summary += "; " + std::to_string(front->size()) + " trials on the Pareto front (knob best-trials)";
  } else if (best.ok() && *best)
    summary += "; best trial " + std::to_string((*best)->number) + ": " + DumpNumber(*(*best)->value) +
               " " + DumpJson((*best)->ParamsJson());
  std::fprintf(stderr, "%s\n", summary.c_str());
  log_.Info(summary.substr(6) + (fatal_ ? "; stopped: " + fatal_->message : "") +
            (interrupts_ > 0 ? "; interrupted" : ""));
  if (interrupts_ > 0)
    return Error::Interrupted("interrupted; run the same command again (or `knob resume`) to continue");
  if (fatal_) return *fatal_;
  return {};
}

void Orchestrator::FailOrphan(const FrozenTrial& trial, const std::string& reason) {
  TellRequest request;
  request.state = TrialState::kFail;
  request.system_attrs = {{"knob:fail_reason", reason}, {"knob:fail_kind", "worker_died"}};
  auto told = study_.Tell(trial.number, request);
  if (!told.ok()) return;  // another worker got there first
  Warn("trial " + std::to_string(trial.number) + " FAIL: " + reason + " (recovered)");
  auto retry = study_.Retry(*told, file_.trainer.retries);
  if (retry.ok() && *retry) Warn("trial " + std::to_string(trial.number) + " will run again as trial " + std::to_string(**retry));
}

Status Orchestrator::RecoverDeadWorkers() {
  // States first: only the few RUNNING trials that are not this worker's are read whole.
  KNOB_ASSIGN_OR_RETURN(StudySnapshot states, storage_.ReadStudy(study_.record().study_id, SnapshotParts::Minimal()));
  std::set<std::string> cleaned;
  for (const auto& listed : states.trials) {
    if (listed.state != TrialState::kRunning || active_.count(listed.number)) continue;
    auto read = storage_.ReadTrial(study_.record().study_id, listed.number);
    if (!read.ok() || read->state != TrialState::kRunning) continue;
    const FrozenTrial& trial = *read;
    auto worker_attr = trial.system_attrs.find("knob:worker");
    if (worker_attr == trial.system_attrs.end()) continue;  // asked through the CLI
    WorkerIdentity worker = WorkerIdentity::FromJson(*worker_attr);
    if (!worker.OnThisMachine() || worker.IsAlive()) continue;
    // Its trainers may live on (grandchildren escape PR_SET_PDEATHSIG): stop them first.
    if (cleaned.insert(worker.Token()).second) KillProcessesOfWorker(worker.Token());
    FailOrphan(trial, "its knob run (pid " + std::to_string(worker.pid) + " on " + worker.host + ") died");
  }
  // Other machines' workers: dead when their heartbeats stopped.
  KNOB_ASSIGN_OR_RETURN(auto stale, storage_.StaleTrials(study_.record().study_id, file_.stale_after_seconds));
  for (int number : stale) {
    // This worker's own trials are alive whatever their beats say.
    if (active_.count(number)) continue;
    auto trial = storage_.ReadTrial(study_.record().study_id, number);
    if (trial.ok())
      FailOrphan(*trial, "no heartbeat for " + ShortDuration(file_.stale_after_seconds) + " (its worker died)");
  }
  return {};
}

std::vector<int> Orchestrator::BudgetHeldElsewhere() {
  if (!file_.n_trials) return {};
  auto snapshot = storage_.ReadStudy(study_.record().study_id, SnapshotParts::Minimal());
  if (!snapshot.ok()) return {};
  int finished = 0;
  std::vector<int> running_elsewhere;
  for (const auto& t : snapshot->trials) {
    finished += t.state == TrialState::kComplete || t.state == TrialState::kPruned;
    if (t.state == TrialState::kRunning && !active_.count(t.number)) running_elsewhere.push_back(t.number);
  }
  return finished < *file_.n_trials ? running_elsewhere : std::vector<int>();
}

bool Orchestrator::Stopping() const {
  return past_deadline_ || interrupts_ > 0 || fatal_ || failures_in_a_row_ >= max_failures_;
}

bool Orchestrator::MayStart() const { return !nothing_to_ask_ && !Stopping(); }

void Orchestrator::FillSlots() {
  for (const Slot& slot : plan_.slots) {
    if (!MayStart()) break;
    if (!busy_slots_.count(slot.index)) StartTrial(slot);
  }
  ShowProgress();
}

Result<LaunchSpec> Orchestrator::MakeLaunchSpec(const ActiveTrial& t, const Slot& slot) {
  const FrozenTrial& trial = t.trial;
  const std::string& dir = t.dir;
  nlohmann::json params = trial.ParamsJson();
  std::map<std::string, std::string> values = {{"trial_number", std::to_string(trial.number)},
                                               {"trial_dir", dir},
                                               {"study_dir", file_.base_dir},
                                               {"study", study_.record().name},
                                               {"resume_dir", t.resume_dir}};
  for (const auto& [name, d] : *file_.config.space) values[name] = "";  // inactive conditionals
  for (const auto& [name, value] : params.items()) values[name] = ArgvText(value);
  LaunchSpec spec;
  for (const auto& word : file_.trainer.command) {
    KNOB_ASSIGN_OR_RETURN(std::string arg, FillPlaceholders(word, values));
    // Trials run in their own folders: a word of the file (never a value put in
    // by a placeholder) naming a file next to the study file is passed as that
    // file's absolute path.
    auto names = PlaceholderNames(word);
    bool literal = names.ok() && names->empty();
    if (literal && !arg.empty() && arg[0] != '-' && fs::path(arg).is_relative() &&
        arg.find('=') == std::string::npos) {
      std::error_code ec;
      fs::path beside = fs::path(file_.base_dir) / arg;
      if (fs::exists(beside, ec)) arg = beside.string();
    }
    spec.argv.push_back(arg);
  }
  // The environment: knob's, then the slot's devices and thread counts, then the file's.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string var = *e;
    size_t eq = var.find('=');
    if (eq != std::string::npos) env[var.substr(0, eq)] = var.substr(eq + 1);
  }
  env["CUDA_VISIBLE_DEVICES"] = slot.CudaVisibleDevices();
  if (auto threads = ThreadsPerProcess(plan_.cores, static_cast<int>(plan_.slots.size()) * slot.processes))
    for (const char* var : {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
                            "VECLIB_MAXIMUM_THREADS", "LOKY_MAX_CPU_COUNT"})
      env[var] = std::to_string(*threads);
  // `import knob` finds the package of this knob (same protocol) before any other.
  if (std::string python = KnobPythonDir(); !python.empty())
    env["PYTHONPATH"] = env.count("PYTHONPATH") && !env["PYTHONPATH"].empty() ? python + ":" + env["PYTHONPATH"] : python;
  for (const auto& [k, v] : file_.trainer.env) env[k] = v;
  env["KNOB_PROTOCOL"] = std::to_string(kProtocolVersion);
  env["KNOB_REUSE"] = file_.trainer.reuse && slot.processes == 1 ? "1" : "0";
  env["KNOB_RESUME_DIR"] = t.resume_dir;
  env["KNOB_STUDY"] = study_.record().name;
  env["KNOB_TRIAL_NUMBER"] = std::to_string(trial.number);
  env["KNOB_TRIAL_DIR"] = dir;
  env["KNOB_PARAMS"] = DumpJson(params);
  env["KNOB_PARAMS_FILE"] = dir + "/params.json";
  env["KNOB_METRIC"] = file_.metric;
  env["KNOB_WORKER"] = self_.Token();
  env["KNOB_TRIAL"] = ProcessTrialRunner::TrialToken(self_.Token(), trial.number);
  for (const auto& [k, v] : env) spec.env.push_back(k + "=" + v);
  KNOB_ASSIGN_OR_RETURN(std::string working_dir, FillPlaceholders(file_.trainer.working_dir, values));
  spec.working_dir = (fs::path(file_.base_dir) / working_dir).lexically_normal().string();
  spec.log_path = dir + "/trainer.log";
  return spec;
}

void Orchestrator::StartTrial(const Slot& slot) {
  AskOptions ask;
  ask.space = file_.config.space;
  ask.budget = file_.n_trials;
  nlohmann::json worker = self_.ToJson();
  worker["slots"] = plan_.slots.size();
  ask.system_attrs = {{"knob:worker", worker},
                      {"knob:slot", {{"index", slot.index}, {"gpus", slot.gpus}, {"processes", slot.processes}}}};
  ask.heartbeat = true;
  auto asked = study_.Ask(ask);
  if (!asked.ok()) {
    if (asked.error().kind == ErrorKind::kExhausted) {
      nothing_to_ask_ = true;
      std::vector<int> elsewhere = BudgetHeldElsewhere();
      waiting_for_others_ = !elsewhere.empty();
      // Said once for each set of trials waited for (it is checked again at every heartbeat).
      if (waiting_for_others_ && active_.empty() && elsewhere != announced_waiting_) {
        announced_waiting_ = elsewhere;
        std::string numbers;
        for (size_t i = 0; i < elsewhere.size() && i < 5; ++i) numbers += (i ? ", " : "") + std::to_string(elsewhere[i]);
        if (elsewhere.size() > 5) numbers += ", ...";
        // One asked with `knob ask` has no worker whose death would free it: name the way out.
        Warn("the rest of the budget is running elsewhere (trial" + std::string(elsewhere.size() > 1 ? "s " : " ") +
             numbers + "); waiting for those trials (one asked with `knob ask` ends with `knob tell`)");
      }
    } else {
      fatal_ = asked.error();
    }
    return;
  }
  ActiveTrial t;
  t.trial = *asked;
  t.dir = TrialFolder(file_.output_dir, t.trial.number);
  t.resume_dir = ResumeDirOf(t.trial, file_.output_dir);
  t.started = runner_.Now();
  TrialOutcome never_started;
  if (Status prepared = PrepareTrialFolder(t.dir, DumpJson(t.trial.ParamsJson()) + "\n"); !prepared.ok()) {
    never_started.end.knob_error = prepared.error().message;
    Record(t, never_started);
    FailRun(prepared.error().message);
    return;
  }
  TrialLaunch launch;
  launch.number = t.trial.number;
  launch.timeout_seconds = file_.trainer.timeout_seconds;
  launch.stop_grace_seconds = file_.trainer.stop_grace_seconds;
  launch.max_log_mb = file_.trainer.max_log_mb;
  launch.metric = file_.metric;
  launch.slot = slot.index;
  launch.reuse = file_.trainer.reuse && slot.processes == 1;
  launch.processes = slot.processes;
  launch.max_trials_per_worker = file_.trainer.max_trials_per_worker.value_or(0);
  auto spec = MakeLaunchSpec(t, slot);
  Status started = spec.ok() ? Status() : Status(spec.error());
  if (spec.ok()) {
    launch.spec = std::move(*spec);
    launch.next_trial_line = TrialLine({t.trial.number, t.trial.ParamsJson(), t.dir, launch.spec.working_dir,
                                        launch.spec.log_path, t.resume_dir});
    started = runner_.Start(launch);
  }
  if (!started.ok()) {
    never_started.end.start_error = started.error().message;
    Record(t, never_started);
    return;
  }
  t.slot = &slot;
  log_.Info("trial " + std::to_string(t.trial.number) + " started [" + slot.Label() + "] params " +
            DumpJson(t.trial.ParamsJson()) + " in " + t.dir +
            (t.resume_dir.empty() ? "" : ", resuming from " + t.resume_dir));
  busy_slots_.insert(slot.index);
  counts_.running[slot.DeviceLabel()]++;
  active_[t.trial.number] = std::move(t);
}

Result<bool> Orchestrator::OnReport(int number, int64_t step, double value) {
  KNOB_ASSIGN_OR_RETURN(bool prune, study_.Report(number, step, value));
  log_.Debug("trial " + std::to_string(number) + " reported " + DumpNumber(value) + " at step " +
             std::to_string(step) + (prune ? ": prune" : ": go on"));
  return prune;
}

Result<nlohmann::json> Orchestrator::OnSuggest(int number, const std::string& name,
                                               const nlohmann::json& distribution) {
  KNOB_ASSIGN_OR_RETURN(Distribution parsed, ParseDistribution(name, distribution));
  KNOB_ASSIGN_OR_RETURN(nlohmann::json value, study_.Suggest(number, name, parsed));
  log_.Debug("trial " + std::to_string(number) + " suggested " + name + ": " + DumpJson(value));
  return value;
}

Result<std::string> Orchestrator::OnStudyRequest(int number, bool with_trials) {
  StudyLineCache& cached = study_lines_[with_trials ? 1 : 0];
  if (!cached.line.empty() && runner_.Now() - cached.at < kStudyLineSeconds) return cached.line;
  KNOB_ASSIGN_OR_RETURN(StudyRecord record, storage_.FindStudy(study_.record().name));
  SnapshotParts parts;
  parts.intermediate_values = false;
  parts.times = false;
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, storage_.ReadStudy(study_.record().study_id, parts));
  log_.Debug("trial " + std::to_string(number) + " read its study");
  cached.line = StudyLine(record, snapshot, with_trials);
  cached.at = runner_.Now();
  return cached.line;
}

Status Orchestrator::OnEnqueue(int number, const nlohmann::json& params, const nlohmann::json& user_attrs) {
  KNOB_ASSIGN_OR_RETURN(std::optional<int> queued, study_.EnqueueIfNew(params, user_attrs));
  log_.Info("trial " + std::to_string(number) + (queued ? " queued trial " + std::to_string(*queued)
                                                          : " asked to queue params a trial already has") +
             ": " + DumpJson(params));
  return {};
}

void Orchestrator::OnEnded(int number, const TrialOutcome& outcome) {
  auto it = active_.find(number);
  if (it == active_.end()) return;
  ActiveTrial t = std::move(it->second);
  active_.erase(it);
  busy_slots_.erase(t.slot->index);
  counts_.running[t.slot->DeviceLabel()]--;
  Record(t, outcome);
  FillSlots();
  MaybeFinish();
}

// Every objective's value of a COMPLETE trial of several objectives: the result's
// "values", else the study file's metrics in its result's metrics; an error names
// what is missing.
Result<std::vector<double>> ObjectiveValues(const TrialOutcome& outcome, const StudyFile& file, size_t objectives) {
  if (!outcome.end.values.empty()) {
    if (outcome.end.values.size() != objectives)
      return Error::BadInput("its result has " + std::to_string(outcome.end.values.size()) + " values for " +
                             std::to_string(objectives) + " objectives");
    return outcome.end.values;
  }
  if (file.metrics.empty())
    return Error::BadInput("its result has one value for " + std::to_string(objectives) +
                           " objectives (send \"values\": [...], or name the metrics in the study file)");
  std::vector<double> values;
  for (const auto& name : file.metrics) {
    auto it = outcome.metrics.find(name);
    if (it == outcome.metrics.end() || !it->is_number())
      return Error::BadInput("its result has no number for metric '" + name + "'");
    values.push_back(it->get<double>());
  }
  return values;
}

void Orchestrator::Record(const ActiveTrial& t, const TrialOutcome& outcome) {
  for (StudyLineCache& cached : study_lines_) cached.line.clear();  // the best trial may change
  TrialVerdict verdict = JudgeTrial(outcome.end);
  TellRequest request;
  if (verdict.state == TrialState::kComplete && study_.objectives() > 1) {
    auto values = ObjectiveValues(outcome, file_, study_.objectives());
    if (values.ok()) {
      request.values = *values;
    } else {
      verdict = {TrialState::kFail, std::nullopt, "no_result", values.error().message +
                 " (log: " + outcome.end.log_path + ")"};
    }
  }
  if (outcome.end.constraints) {
    request.constraints = outcome.end.constraints;
  } else if (!file_.constraints.empty() && verdict.state == TrialState::kComplete) {
    // From the result's metrics, else the trial's user attributes; a missing one is infeasible.
    nlohmann::json user_attrs;
    if (auto read = storage_.ReadTrial(study_.record().study_id, t.trial.number); read.ok()) user_attrs = read->user_attrs;
    std::vector<double> constraints;
    for (const auto& c : file_.constraints) {
      const nlohmann::json* v = nullptr;
      if (outcome.metrics.contains(c.metric)) v = &outcome.metrics[c.metric];
      else if (user_attrs.is_object() && user_attrs.contains(c.metric)) v = &user_attrs[c.metric];
      if (v && v->is_number()) {
        constraints.push_back(c.ValueOf(v->get<double>()));
      } else {
        constraints.push_back(NAN);
        Warn("trial " + std::to_string(t.trial.number) + ": no number for constraint '" + c.text +
             "' (neither a result metric nor a user attribute): the trial counts as infeasible");
      }
    }
    request.constraints = constraints;
  }
  request.state = verdict.state;
  request.value = verdict.value;
  request.system_attrs["knob:trial_dir"] = t.dir;
  if (verdict.state == TrialState::kFail) {
    request.system_attrs["knob:fail_reason"] = verdict.reason;
    request.system_attrs["knob:fail_kind"] = verdict.kind;
  }
  if (!outcome.metrics.empty()) request.user_attrs["metrics"] = outcome.metrics;
  auto told = study_.Tell(t.trial.number, request);
  std::string head = "trial " + std::to_string(t.trial.number);
  double seconds = runner_.Now() - t.started;
  if (!told.ok()) {
    Warn(head + ": not recorded: " + told.error().message);
    return;
  }
  std::string line = head + " " + TrialStateName(told->state);
  if (told->values.size() > 1) {
    line += " [";
    for (size_t i = 0; i < told->values.size(); ++i) line += (i ? ", " : "") + DumpNumber(told->values[i]);
    line += "]";
  } else if (told->value) {
    line += " " + DumpNumber(*told->value);
  }
  if (!IsFeasible(*told)) line += " (infeasible)";
  line += " in " + ShortDuration(seconds);
  if (t.slot) line += " [" + t.slot->Label() + "]";
  if (told->state == TrialState::kFail) {
    line += ": " + verdict.reason;
    counts_.failed++;
    // Interruptions and knob's own faults are not the trainer's: they always run again.
    bool trainers_fault = verdict.kind != "interrupted" && verdict.kind != "knob";
    std::vector<std::string> last_lines;
    if (trainers_fault) {
      failures_in_a_row_++;
      // What the trainer said last usually names the cause (a Traceback's last line).
      last_lines = LastLines(t.dir + "/trainer.log", 3);
      for (const auto& l : last_lines) line += "\n    | " + l;
      NoteFirstFailures(verdict, last_lines.empty() ? "" : last_lines.back());
    }
    auto retry = study_.Retry(*told, file_.trainer.retries, /*always=*/!trainers_fault);
    if (retry.ok() && *retry) line += "; runs again as trial " + std::to_string(**retry);
    KeepCheckpoints(t, *told, retry.ok() && *retry, false);
    nothing_to_ask_ = false;  // a failure frees its place in the budget
    if (failures_in_a_row_ == max_failures_ && !fatal_)
      fatal_ = Error::Runtime("stopped after " + std::to_string(max_failures_) +
                              " failed trials in a row (max_failures); the last: " + verdict.reason);
    if (same_first_failures_ >= kSameFirstFailures && !fatal_ && !file_.max_failures)
      fatal_ = Error::Runtime("the first " + std::to_string(same_first_failures_) +
                              " trials all failed the same way before any succeeded: " + first_failure_ +
                              "; fix the trainer and run again (or set max_failures to go on)");
  } else {
    failures_in_a_row_ = 0;
    counts_.done++;
    counts_.done_this_run++;
    if (told->state == TrialState::kPruned) counts_.pruned++;
    bool maximize = study_.record().direction == StudyDirection::kMaximize;
    int previous_best = counts_.best_number;
    bool several = study_.objectives() > 1;
    bool new_best = !several && told->state == TrialState::kComplete && told->value && IsFeasible(*told) &&
                    (!counts_.best || (maximize ? *told->value > *counts_.best : *told->value < *counts_.best));
    if (several && told->state == TrialState::kComplete && IsFeasible(*told)) {
      // The front, kept as this run sees it: no study read per trial.
      const auto& directions = study_.record().directions;
      bool dominated = std::any_of(front_.begin(), front_.end(),
                                   [&](const auto& v) { return Dominates(v, told->values, directions); });
      if (!dominated) {
        front_.erase(std::remove_if(front_.begin(), front_.end(),
                                    [&](const auto& v) { return Dominates(told->values, v, directions); }),
                     front_.end());
        front_.push_back(told->values);
      }
      counts_.front = static_cast<int>(front_.size());
    }
    // Several objectives: checkpoints.keep best keeps every COMPLETE trial's (any may be on the front).
    if (several && told->state == TrialState::kComplete) new_best = true, previous_best = -1;
    if (new_best && !several) {
      counts_.best = told->value;
      counts_.best_number = told->number;
    }
    KeepCheckpoints(t, *told, false, new_best);
    if (new_best && previous_best >= 0 && file_.keep_checkpoints == CheckpointKeep::kBest)
      RemoveCheckpoints(TrialFolder(file_.output_dir, previous_best));
  }
  progress_.Update(counts_);
  progress_.Event(line);
  if (told->state == TrialState::kFail) log_.Warn(line + " [" + verdict.kind + "]");
  else log_.Info(line);
}

void Orchestrator::KeepCheckpoints(const ActiveTrial& t, const FrozenTrial& told, bool retried, bool new_best) {
  if (file_.keep_checkpoints == CheckpointKeep::kAll) return;
  // The attempt this one resumed from is done with, whatever this one's end.
  if (!t.resume_dir.empty() && !retried) RemoveCheckpoints(t.resume_dir);
  // A trial that runs again resumes from its checkpoints; the best keeps its own.
  if (retried || (new_best && file_.keep_checkpoints == CheckpointKeep::kBest)) return;
  int removed = RemoveCheckpoints(t.dir);
  if (removed > 0)
    log_.Debug("trial " + std::to_string(told.number) + ": removed " + std::to_string(removed) + " checkpoints");
}

void Orchestrator::NoteFirstFailures(const TrialVerdict& verdict, const std::string& last_log_line) {
  if (counts_.done > 0) return;
  // The reason without its log's path (which names the trial), and what the log said last.
  std::string reason = verdict.reason.substr(0, verdict.reason.rfind(" (log: "));
  if (!last_log_line.empty()) reason += " (its log ends: " + last_log_line + ")";
  if (reason == first_failure_) {
    ++same_first_failures_;
  } else {
    first_failure_ = reason;
    same_first_failures_ = 1;
  }
}

void Orchestrator::OnSignal(int signal) {
  ++interrupts_;
  // SIGTERM and SIGHUP (the terminal closed) stop the running trials at once.
  if (signal == SIGTERM || signal == SIGHUP) interrupts_ = std::max(interrupts_, 2);
  if (interrupts_ == 1 && !active_.empty()) {
    Warn("stopping: no new trials; " + std::to_string(active_.size()) +
         " running trials will finish (Ctrl-C again stops them)");
  } else if (!active_.empty()) {
    Warn("stopping the " + std::to_string(active_.size()) + " running trials");
    for (const auto& [number, t] : active_) runner_.Interrupt(number, "");
  }
  MaybeFinish();
}

void Orchestrator::Beat() {
  if (Status intact = storage_.CheckIntact(); !intact.ok()) {
    FailRun(intact.error().message);
    return;
  }
  std::vector<int> numbers;
  for (const auto& [number, t] : active_) numbers.push_back(number);
  if (auto beat = storage_.RecordHeartbeats(study_.record().study_id, numbers); !beat.ok())
    Warn("heartbeat not recorded: " + beat.error().message);
  // Other workers may have died since: their trials are failed (and retried) here.
  if (auto recovered = RecoverDeadWorkers(); !recovered.ok())
    Warn("could not check for dead workers: " + recovered.error().message);
  if (waiting_for_others_) {
    // Places in the budget may have come free: ask again.
    waiting_for_others_ = false;
    nothing_to_ask_ = false;
    FillSlots();
    MaybeFinish();
  }
  runner_.After(file_.heartbeat_seconds, [this] {
    if (quit_) return;
    Beat();
    ShowProgress(true);
  });
}

void Orchestrator::FailRun(const std::string& message) {
  if (fatal_) return;
  fatal_ = Error::Runtime(message);
  Warn(message + "; stopping the run");
  for (const auto& [number, t] : active_) runner_.Interrupt(number, "stopped when the run stopped: " + message);
  MaybeFinish();
}

void Orchestrator::ShowProgress(bool force) { progress_.Update(counts_, force); }

void Orchestrator::MaybeFinish() {
  // Trials that fail to start leave their slots free at once: keep filling until
  // one runs or nothing more may start (each failure counts towards max_failures).
  while (active_.empty() && MayStart()) FillSlots();
  if (active_.empty() && !(waiting_for_others_ && !Stopping())) {
    quit_ = true;
    runner_.Quit();
  }
}

}  // namespace

Status RunStudy(Storage& storage, Study& study, const RunPlan& plan, TrialRunner& runner) {
  if (plan.slots.empty()) return Error::BadInput("no slots to run trials in");
  Orchestrator orchestrator(storage, study, plan, runner);
  return orchestrator.Run();
}

Status RunStudy(Storage& storage, Study& study, const RunPlan& plan) {
  ProcessTrialRunner runner(WorkerIdentity::Self().Token());
  return RunStudy(storage, study, plan, runner);
}

}  // namespace knob
