#include "launcher/run/orchestrator.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <boost/asio.hpp>

#include "base/duration.h"
#include "base/json_text.h"
#include "launcher/run/event_log.h"
#include "launcher/run/progress.h"
#include "launcher/run/trainer_messages.h"
#include "launcher/run/trial_folders.h"
#include "launcher/run/trial_process.h"
#include "launcher/run/trial_verdict.h"
#include "launcher/run/worker_identity.h"

extern char** environ;

namespace knob {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::chrono::steady_clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Text of a parameter value in a trainer's argv: strings as they are, the rest as JSON.
std::string ArgvText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : DumpJson(value);
}

struct RunningTrial {
  RunningTrial(asio::io_context& io, int fd) : channel(io), stop_timer(io), kill_timer(io) {
    if (fd >= 0) channel.assign(fd);
  }
  FrozenTrial trial;
  const Slot* slot = nullptr;
  pid_t pid = -1;
  std::string dir, log;
  asio::posix::stream_descriptor channel;
  std::string inbox;
  size_t scanned = 0;  // bytes of inbox known to hold no newline
  double tokens = 0;   // messages it may still send now (a token bucket, filled at start)
  Clock::time_point refilled = Clock::now();
  std::deque<std::string> outbox;
  bool writing = false;
  asio::steady_timer stop_timer;  // timeout, or the grace after a prune decision
  asio::steady_timer kill_timer;  // SIGKILL after SIGTERM
  bool stopping = false;          // SIGTERM sent
  bool finished = false;
  TrialEnd end;
  nlohmann::json metrics = nlohmann::json::object();
  bool got_result = false;
  Clock::time_point started = Clock::now();
};

class Orchestrator {
 public:
  Orchestrator(Storage& storage, Study& study, const RunPlan& plan)
      : storage_(storage), study_(study), plan_(plan), file_(plan.file),
        signals_(io_, SIGINT, SIGTERM, SIGHUP), children_(io_, SIGCHLD), heartbeat_(io_), deadline_(io_),
        progress_(stderr, plan.live_progress), self_(WorkerIdentity::Self()) {}

  Status Run();

 private:
  // Setup and recovery.
  Status RecoverDeadWorkers();
  void FailOrphan(const FrozenTrial& trial, const std::string& reason);
  // Starting.
  void FillSlots();
  // Timeout, Ctrl-C, a fatal error or too many failures: no new trials, whatever the budget.
  bool Stopping() const;
  bool MayStart() const;
  bool BudgetHeldElsewhere();
  void StartTrial(const Slot& slot);
  Result<LaunchSpec> MakeLaunchSpec(const FrozenTrial& trial, const Slot& slot, const std::string& dir);
  // Running.
  void WatchChannel(std::shared_ptr<RunningTrial> t);
  void ReadChannel(const std::shared_ptr<RunningTrial>& t, bool final);
  void HandleLine(const std::shared_ptr<RunningTrial>& t, const std::string& line);
  // The trainer broke the channel's rules: its trial FAILs with `reason`.
  void BreakProtocol(const std::shared_ptr<RunningTrial>& t, const std::string& reason);
  // A write knob itself could not make (a full disk): the run stops with exit 1.
  void FailRun(const std::string& message);
  // Kills processes that outlived their trial (reparented to this subreaper).
  void SweepOrphans();
  void Send(std::shared_ptr<RunningTrial> t, std::string line);
  void WriteNext(std::shared_ptr<RunningTrial> t);
  void Stop(std::shared_ptr<RunningTrial> t);
  void WaitChildren();
  void OnExit(std::shared_ptr<RunningTrial> t, int wait_status);
  void Record(RunningTrial& t);
  void OnSignal(int signal);
  void Beat();
  void MaybeFinish();
  void Warn(const std::string& line) {
    progress_.Event("knob: " + line);
    log_.Warn(line);
  }
  // $KNOB_TRIAL of a trial's processes: which worker, which trial.
  std::string TrialToken(int number) const { return self_.Token() + "/" + std::to_string(number); }
  void ShowProgress(bool force = false);

  Storage& storage_;
  Study& study_;
  const RunPlan& plan_;
  const StudyFile& file_;
  asio::io_context io_;
  asio::signal_set signals_;
  asio::signal_set children_;
  asio::steady_timer heartbeat_;
  asio::steady_timer deadline_;
  Progress progress_;
  WorkerIdentity self_;
  ChannelLimits limits_;
  EventLog log_;

  std::map<pid_t, std::shared_ptr<RunningTrial>> running_;
  std::set<int> busy_slots_;
  ProgressState counts_;
  int failures_in_a_row_ = 0;
  int max_failures_ = 10;
  bool nothing_to_ask_ = false;  // budget used up or sampler exhausted, as of the last ask
  // The budget is held by trials running elsewhere: wait for them to finish (or
  // to be failed as stale, freeing their place) before deciding the study is done.
  bool waiting_for_others_ = false;
  bool past_deadline_ = false;
  int interrupts_ = 0;
  std::optional<Error> fatal_;
};

Status Orchestrator::Run() {
  // A trainer that closed its end of the channel must not kill knob with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  // Whatever a trainer starts in a session of its own is reparented to knob when
  // its parent dies, instead of to init, so that it can be found and ended.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  max_failures_ = file_.max_failures.value_or(std::max<int>(10, 2 * plan_.slots.size()));
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, storage_.ReadStudy(study_.record().study_id,
                                                                   {false, true, false, false}));
  for (const auto& t : snapshot.trials)
    counts_.done += t.state == TrialState::kComplete || t.state == TrialState::kPruned;
  if (const FrozenTrial* best = snapshot.BestTrial()) {
    counts_.best = best->value;
    counts_.best_number = best->number;
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
  signals_.async_wait([this](const boost::system::error_code& e, int signal) {
    if (!e) OnSignal(signal);
  });
  WaitChildren();
  Beat();  // also fails the trials of workers that died before this one started
  if (file_.timeout_seconds) {
    deadline_.expires_after(Seconds(*file_.timeout_seconds));
    deadline_.async_wait([this](const boost::system::error_code& e) {
      if (e) return;
      past_deadline_ = true;
      Warn("study timeout reached: no new trials; running ones finish");
      MaybeFinish();
    });
  }
  FillSlots();
  MaybeFinish();
  io_.run();
  progress_.Close();
  // Nothing a trainer started may outlive the run.
  SweepOrphans();
  KillProcessesOfWorker(self_.Token());

  auto best = study_.BestTrial();
  std::string summary = "knob: study '" + study_.record().name + "': " + std::to_string(counts_.done) +
                        " done (" + std::to_string(counts_.done_this_run) + " this run, " +
                        std::to_string(counts_.pruned) + " pruned, " + std::to_string(counts_.failed) +
                        " failed) in " + ShortDuration(progress_.ElapsedSeconds());
  if (best.ok() && *best)
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
  KNOB_ASSIGN_OR_RETURN(StudySnapshot snapshot, storage_.ReadStudy(study_.record().study_id,
                                                                   {true, false, false, true}));
  std::set<std::string> cleaned;
  for (const auto& trial : snapshot.trials) {
    if (trial.state != TrialState::kRunning) continue;
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
    bool ours = std::any_of(running_.begin(), running_.end(),
                            [&](const auto& r) { return r.second->trial.number == number; });
    if (ours) continue;
    auto trial = storage_.ReadTrial(study_.record().study_id, number);
    if (trial.ok())
      FailOrphan(*trial, "no heartbeat for " + ShortDuration(file_.stale_after_seconds) + " (its worker died)");
  }
  return {};
}

bool Orchestrator::BudgetHeldElsewhere() {
  if (!file_.n_trials) return false;
  auto snapshot = storage_.ReadStudy(study_.record().study_id, SnapshotParts::Minimal());
  if (!snapshot.ok()) return false;
  int finished = 0, running_elsewhere = 0;
  for (const auto& t : snapshot->trials) {
    finished += t.state == TrialState::kComplete || t.state == TrialState::kPruned;
    bool ours = std::any_of(running_.begin(), running_.end(),
                            [&](const auto& r) { return r.second->trial.number == t.number; });
    running_elsewhere += t.state == TrialState::kRunning && !ours;
  }
  return finished < *file_.n_trials && running_elsewhere > 0;
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

Result<LaunchSpec> Orchestrator::MakeLaunchSpec(const FrozenTrial& trial, const Slot& slot,
                                                const std::string& dir) {
  nlohmann::json params = trial.ParamsJson();
  std::map<std::string, std::string> values = {{"trial_number", std::to_string(trial.number)},
                                               {"trial_dir", dir},
                                               {"study_dir", file_.base_dir},
                                               {"study", study_.record().name}};
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
  std::string threads = std::to_string(ThreadsPerTrial(plan_.cores, static_cast<int>(plan_.slots.size())));
  env["CUDA_VISIBLE_DEVICES"] = slot.CudaVisibleDevices();
  for (const char* var : {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"}) env[var] = threads;
  for (const auto& [k, v] : file_.trainer.env) env[k] = v;
  env["KNOB_STUDY"] = study_.record().name;
  env["KNOB_TRIAL_NUMBER"] = std::to_string(trial.number);
  env["KNOB_TRIAL_DIR"] = dir;
  env["KNOB_PARAMS"] = DumpJson(params);
  env["KNOB_PARAMS_FILE"] = dir + "/params.json";
  env["KNOB_METRIC"] = file_.metric;
  env["KNOB_WORKER"] = self_.Token();
  env["KNOB_TRIAL"] = TrialToken(trial.number);
  for (const auto& [k, v] : env) spec.env.push_back(k + "=" + v);
  spec.working_dir = dir;
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
                      {"knob:slot", {{"index", slot.index}, {"gpus", slot.gpus}}}};
  ask.heartbeat = true;
  auto asked = study_.Ask(ask);
  if (!asked.ok()) {
    if (asked.error().kind == ErrorKind::kExhausted) {
      nothing_to_ask_ = true;
      bool was_waiting = waiting_for_others_;
      waiting_for_others_ = BudgetHeldElsewhere();
      if (waiting_for_others_ && !was_waiting && running_.empty())
        Warn("the rest of the budget is running elsewhere; waiting for those trials");
    } else {
      fatal_ = asked.error();
    }
    return;
  }
  const FrozenTrial& trial = *asked;
  std::string dir = TrialFolder(file_.output_dir, trial.number);
  if (Status prepared = PrepareTrialFolder(dir, DumpJson(trial.ParamsJson()) + "\n"); !prepared.ok()) {
    auto t = std::make_shared<RunningTrial>(io_, -1);
    t->trial = trial;
    t->dir = dir;
    t->end.knob_error = prepared.error().message;
    Record(*t);
    FailRun(prepared.error().message);
    return;
  }

  Result<LaunchedProcess> launched = Error::Runtime("");
  auto spec = MakeLaunchSpec(trial, slot, dir);
  launched = spec.ok() ? LaunchTrialProcess(*spec) : Result<LaunchedProcess>(spec.error());
  if (!launched.ok()) {
    auto t = std::make_shared<RunningTrial>(io_, -1);
    t->trial = trial;
    t->dir = dir;
    t->end.start_error = launched.error().message;
    Record(*t);
    return;
  }
  auto t = std::make_shared<RunningTrial>(io_, launched->control_fd);
  t->trial = trial;
  t->slot = &slot;
  t->pid = launched->pid;
  t->dir = dir;
  t->log = spec->log_path;
  t->end.log_path = t->log;
  t->tokens = limits_.message_burst;
  running_[t->pid] = t;
  log_.Info("trial " + std::to_string(trial.number) + " started [" + slot.Label() + "] pid " +
            std::to_string(t->pid) + " params " + DumpJson(trial.ParamsJson()) + " in " + dir);
  busy_slots_.insert(slot.index);
  counts_.running[slot.DeviceLabel()]++;
  WatchChannel(t);
  if (file_.trainer.timeout_seconds) {
    t->stop_timer.expires_after(Seconds(*file_.trainer.timeout_seconds));
    t->stop_timer.async_wait([this, t](const boost::system::error_code& e) {
      if (e || t->finished) return;
      t->end.timed_out = true;
      t->end.timeout_seconds = *file_.trainer.timeout_seconds;
      Stop(t);
    });
  }
}

void Orchestrator::WatchChannel(std::shared_ptr<RunningTrial> t) {
  t->channel.async_wait(asio::posix::descriptor::wait_read, [this, t](const boost::system::error_code& e) {
    if (e || t->finished) return;
    ReadChannel(t, /*final=*/false);
  });
}

void Orchestrator::ReadChannel(const std::shared_ptr<RunningTrial>& t, bool final) {
  char buffer[65536];
  size_t budget = limits_.read_bytes_per_turn;
  while (!t->stopping || final) {
    if (!final && budget == 0) {
      // A trainer that writes without pause must not starve the others: come back
      // to it once the loop has run what else is ready.
      asio::post(io_, [this, t] {
        if (!t->finished) ReadChannel(t, false);
      });
      return;
    }
    ssize_t n = read(t->channel.native_handle(), buffer, final ? sizeof buffer : std::min(sizeof buffer, budget));
    if (n > 0) {
      budget -= std::min<size_t>(budget, n);
      t->inbox.append(buffer, n);
      size_t start = 0, newline;
      while ((newline = t->inbox.find('\n', std::max(start, t->scanned))) != std::string::npos) {
        std::string line = t->inbox.substr(start, newline - start);
        start = newline + 1;
        t->scanned = 0;
        if (line.size() > limits_.max_line_bytes) {
          BreakProtocol(t, "sent a message of " + std::to_string(line.size()) + " bytes (the limit is " +
                               std::to_string(limits_.max_line_bytes) + ")");
          return;
        }
        if (!line.empty()) HandleLine(t, line);
        if (t->stopping && !final) {
          t->inbox.erase(0, start);
          t->scanned = 0;
          return;
        }
      }
      t->inbox.erase(0, start);
      t->scanned = t->inbox.size();
      if (t->inbox.size() > limits_.max_line_bytes) {
        BreakProtocol(t, "sent more than " + std::to_string(limits_.max_line_bytes) +
                             " bytes without a newline on the control channel");
        return;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !final) WatchChannel(t);
    // End of file (the trainer closed its end) or an error: nothing more to read.
    return;
  }
}

void Orchestrator::BreakProtocol(const std::shared_ptr<RunningTrial>& t, const std::string& reason) {
  if (t->end.protocol_error.empty()) {
    t->end.protocol_error = reason;
    log_.Warn("trial " + std::to_string(t->trial.number) + " broke the protocol: " + reason + "; stopping it");
  }
  t->inbox.clear();
  Stop(t);
}

void Orchestrator::HandleLine(const std::shared_ptr<RunningTrial>& t, const std::string& line) {
  // The token bucket: a sustained rate and a burst; past them the trainer floods.
  auto now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - t->refilled).count();
  t->refilled = now;
  t->tokens = std::min(limits_.message_burst, t->tokens + elapsed * limits_.messages_per_second);
  if (t->tokens < 1) {
    BreakProtocol(t, "flooded the control channel (more than " + ShortNumber(limits_.message_burst) +
                         " messages at once, or " + ShortNumber(limits_.messages_per_second) + " a second)");
    return;
  }
  t->tokens -= 1;
  auto message = ParseTrainerMessage(line, file_.metric);
  if (!message.ok()) {
    Warn("trial " + std::to_string(t->trial.number) + ": refused a message: " + message.error().message);
    t->end.refused = message.error().message;
    // Every line but a result may have a trainer waiting for its answer.
    if (line.find("\"result\"") == std::string::npos) Send(t, ErrorLine(message.error().message));
    return;
  }
  if (message->type == TrainerMessage::Type::kResult) {
    t->got_result = true;
    t->end.value = message->value;
    t->metrics = message->metrics;
    return;
  }
  auto prune = study_.Report(t->trial.number, message->step, *message->value);
  if (!prune.ok()) {
    Warn("trial " + std::to_string(t->trial.number) + ": " + prune.error().message + "; stopping it");
    Send(t, ErrorLine(prune.error().message));
    Stop(t);
    return;
  }
  Send(t, DecisionLine(*prune));
  log_.Debug("trial " + std::to_string(t->trial.number) + " reported " + DumpNumber(*message->value) +
             " at step " + std::to_string(message->step) + (*prune ? ": prune" : ": go on"));
  if (*prune && !t->end.pruned) {
    t->end.pruned = true;
    // It should stop by itself now; if it does not, it is stopped.
    t->stop_timer.expires_after(Seconds(file_.trainer.stop_grace_seconds));
    t->stop_timer.async_wait([this, t](const boost::system::error_code& e) {
      if (!e && !t->finished) Stop(t);
    });
  }
}

void Orchestrator::Send(std::shared_ptr<RunningTrial> t, std::string line) {
  if (t->outbox.size() >= limits_.max_unread_answers) {
    BreakProtocol(t, "stopped reading knob's answers (" + std::to_string(t->outbox.size()) + " unread)");
    return;
  }
  t->outbox.push_back(std::move(line));
  if (!t->writing) WriteNext(std::move(t));
}

// Writes the outbox in order, one asynchronous write at a time.
void Orchestrator::WriteNext(std::shared_ptr<RunningTrial> t) {
  t->writing = true;
  asio::async_write(t->channel, asio::buffer(t->outbox.front()),
                    [this, t](const boost::system::error_code& e, size_t) {
    t->writing = false;
    if (e || t->finished) return;  // a trainer that closed its end no longer listens
    t->outbox.pop_front();
    if (!t->outbox.empty()) WriteNext(t);
  });
}

void Orchestrator::Stop(std::shared_ptr<RunningTrial> t) {
  if (t->stopping || t->finished) return;
  t->stopping = true;
  SignalProcessGroup(t->pid, SIGTERM);
  t->kill_timer.expires_after(Seconds(file_.trainer.stop_grace_seconds));
  t->kill_timer.async_wait([t](const boost::system::error_code& e) {
    if (!e && !t->finished) SignalProcessGroup(t->pid, SIGKILL);
  });
}

void Orchestrator::WaitChildren() {
  children_.async_wait([this](const boost::system::error_code& e, int) {
    if (e) return;
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      auto it = running_.find(pid);
      if (it != running_.end()) OnExit(it->second, status);
    }
    WaitChildren();
    MaybeFinish();
  });
}

void Orchestrator::OnExit(std::shared_ptr<RunningTrial> t, int wait_status) {
  // A result written just before exit is already in the socket: read it all
  // (unless the trainer broke the channel's rules: nothing it sent counts then).
  if (t->end.protocol_error.empty()) ReadChannel(t, /*final=*/true);
  t->finished = true;
  t->end.wait_status = wait_status;
  // Whatever the trainer started in its group goes with it, and what left the group.
  SignalProcessGroup(t->pid, SIGKILL);
  SweepOrphans();
  t->stop_timer.cancel();
  t->kill_timer.cancel();
  boost::system::error_code ignored;
  t->channel.close(ignored);
  running_.erase(t->pid);
  busy_slots_.erase(t->slot->index);
  counts_.running[t->slot->DeviceLabel()]--;
  if (!t->got_result && !t->end.pruned && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
    t->end.value = FindStdoutResult(t->log);
  Record(*t);
  FillSlots();
}

void Orchestrator::Record(RunningTrial& t) {
  TrialVerdict verdict = JudgeTrial(t.end);
  TellRequest request;
  request.state = verdict.state;
  request.value = verdict.value;
  request.system_attrs["knob:trial_dir"] = t.dir;
  if (verdict.state == TrialState::kFail) {
    request.system_attrs["knob:fail_reason"] = verdict.reason;
    request.system_attrs["knob:fail_kind"] = verdict.kind;
  }
  if (!t.metrics.empty()) request.user_attrs["metrics"] = t.metrics;
  auto told = study_.Tell(t.trial.number, request);
  std::string head = "trial " + std::to_string(t.trial.number);
  double seconds = std::chrono::duration<double>(Clock::now() - t.started).count();
  if (!told.ok()) {
    Warn(head + ": not recorded: " + told.error().message);
    return;
  }
  std::string line = head + " " + TrialStateName(told->state);
  if (told->value) line += " " + DumpNumber(*told->value);
  line += " in " + ShortDuration(seconds);
  if (t.slot) line += " [" + t.slot->Label() + "]";
  if (told->state == TrialState::kFail) {
    line += ": " + verdict.reason;
    counts_.failed++;
    // Interruptions and knob's own faults are not the trainer's: they always run again.
    bool trainers_fault = verdict.kind != "interrupted" && verdict.kind != "knob";
    if (trainers_fault) failures_in_a_row_++;
    auto retry = study_.Retry(*told, file_.trainer.retries, /*always=*/!trainers_fault);
    if (retry.ok() && *retry) line += "; runs again as trial " + std::to_string(**retry);
    nothing_to_ask_ = false;  // a failure frees its place in the budget
    if (failures_in_a_row_ == max_failures_)
      fatal_ = Error::Runtime("stopped after " + std::to_string(max_failures_) +
                              " failed trials in a row (max_failures); the last: " + verdict.reason);
  } else {
    failures_in_a_row_ = 0;
    counts_.done++;
    counts_.done_this_run++;
    if (told->state == TrialState::kPruned) counts_.pruned++;
    bool maximize = study_.record().direction == StudyDirection::kMaximize;
    if (told->state == TrialState::kComplete && told->value &&
        (!counts_.best || (maximize ? *told->value > *counts_.best : *told->value < *counts_.best))) {
      counts_.best = told->value;
      counts_.best_number = told->number;
    }
  }
  progress_.Update(counts_);
  progress_.Event(line);
  if (told->state == TrialState::kFail) log_.Warn(line + " [" + verdict.kind + "]");
  else log_.Info(line);
}

void Orchestrator::OnSignal(int signal) {
  ++interrupts_;
  // SIGTERM and SIGHUP (the terminal closed) stop the running trials at once.
  if (signal == SIGTERM || signal == SIGHUP) interrupts_ = std::max(interrupts_, 2);
  if (interrupts_ == 1 && !running_.empty()) {
    Warn("stopping: no new trials; " + std::to_string(running_.size()) +
         " running trials will finish (Ctrl-C again stops them)");
  } else if (!running_.empty()) {
    Warn("stopping the " + std::to_string(running_.size()) + " running trials");
    for (auto& [pid, t] : running_) {
      t->end.interrupted = true;
      Stop(t);
    }
  }
  signals_.async_wait([this](const boost::system::error_code& e, int s) {
    if (!e) OnSignal(s);
  });
  MaybeFinish();
}

void Orchestrator::Beat() {
  if (Status intact = storage_.CheckIntact(); !intact.ok()) {
    FailRun(intact.error().message);
    return;
  }
  SweepOrphans();
  std::vector<int> numbers;
  for (const auto& [pid, t] : running_) numbers.push_back(t->trial.number);
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
  heartbeat_.expires_after(Seconds(file_.heartbeat_seconds));
  heartbeat_.async_wait([this](const boost::system::error_code& e) {
    if (e) return;
    Beat();
    ShowProgress(true);
  });
}

void Orchestrator::FailRun(const std::string& message) {
  if (fatal_) return;
  fatal_ = Error::Runtime(message);
  Warn(message + "; stopping the run");
  for (auto& [pid, t] : running_) {
    t->end.interrupted = true;
    t->end.interrupt_reason = "stopped when the run stopped: " + message;
    Stop(t);
  }
  MaybeFinish();
}

void Orchestrator::SweepOrphans() {
  std::set<pid_t> leaders;
  for (const auto& [pid, t] : running_) leaders.insert(pid);
  for (pid_t child : ChildrenOf(getpid())) {
    if (leaders.count(child)) continue;
    // A process reparented to knob: its trial ended, unless it still names a
    // running trial (or sits in one's process group).
    auto token = EnvironmentValue(child, "KNOB_TRIAL");
    bool alive_trial = std::any_of(running_.begin(), running_.end(), [&](const auto& r) {
      return (token && *token == TrialToken(r.second->trial.number)) || getpgid(child) == r.first;
    });
    if (alive_trial) continue;
    kill(child, SIGKILL);
    log_.Warn("killed process " + std::to_string(child) + ", left behind by an ended trial" +
              (token ? " (" + *token + ")" : ""));
  }
}

void Orchestrator::ShowProgress(bool force) { progress_.Update(counts_, force); }

void Orchestrator::MaybeFinish() {
  // Trials that fail to start leave their slots free at once: keep filling until
  // one runs or nothing more may start (each failure counts towards max_failures).
  while (running_.empty() && MayStart()) FillSlots();
  if (running_.empty() && !(waiting_for_others_ && !Stopping())) io_.stop();
}

}  // namespace

Status RunStudy(Storage& storage, Study& study, const RunPlan& plan) {
  if (plan.slots.empty()) return Error::BadInput("no slots to run trials in");
  Orchestrator orchestrator(storage, study, plan);
  return orchestrator.Run();
}

}  // namespace knob
