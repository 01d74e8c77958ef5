// The seam between `knob run`'s policy and the machinery that runs trainers, as
// ninja's CommandRunner is for its builder. The policy (orchestrator.cc: asks,
// budget, retries, failures in a row, recovery, heartbeats, stopping) starts
// trials, answers their reports and stops them through a TrialRunner, and hears
// back through TrialRunnerEvents; it keeps time only through the runner's clock.
// ProcessTrialRunner (process_trial_runner.h) is the real one: processes,
// sockets, signals and Boost.Asio. Tests drive the policy in-process with a fake
// runner of scripted trainers on a fake clock (tests/launcher/fake_trial_runner.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "launcher/run/trial_process.h"
#include "launcher/run/trial_verdict.h"

namespace knob {

struct TrialLaunch {
  int number = 0;
  LaunchSpec spec;  // argv, environment, folder, log
  std::string metric;  // the study's metric: a report's value may be metrics[metric]
  std::optional<double> timeout_seconds;
  double stop_grace_seconds = 10;  // SIGTERM, then SIGKILL after this long
  int max_log_mb = 1024;           // a log (each rank's) past this fails the trial
  // Reuse: a worker of this slot that offered to serve many trials (its hello) and
  // is idle gets `next_trial_line` instead of a new process being started; it is
  // replaced after `max_trials_per_worker` trials (0: never).
  int slot = 0;
  bool reuse = false;
  int max_trials_per_worker = 0;
  std::string next_trial_line;
  // A distributed trial: `processes` ranks started as torchrun starts them (each
  // with RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and a
  // MASTER_PORT of its own; rank R > 0 logs to trainer.rankR.log beside the
  // log). Rank 0's result counts; a report of another rank is answered with rank
  // 0's decision at that step; any rank's crash, fail or broken protocol ends
  // them all. Never reused.
  int processes = 1;
};

// What a trial's trainer sent and how it ended, gathered by the runner.
struct TrialOutcome {
  TrialEnd end;
  nlohmann::json metrics = nlohmann::json::object();  // of its result message
};

class TrialRunnerEvents {
 public:
  virtual ~TrialRunnerEvents() = default;
  // A report of trial `number`: whether it is pruned, or an error (bad input) that
  // the runner sends back to the trainer as the answer.
  virtual Result<bool> OnReport(int number, int64_t step, double value) = 0;
  // A define-by-run suggestion of trial `number`: the parameter's value, or an
  // error (a contradiction of the space) that fails the trial.
  virtual Result<nlohmann::json> OnSuggest(int number, const std::string& name,
                                           const nlohmann::json& distribution) = 0;
  // A user attribute of trial `number`, or of its study (`of_study`: study.set_user_attr).
  virtual Status OnUserAttr(int number, bool of_study, const std::string& key, const nlohmann::json& value) = 0;
  // A system attribute of trial `number` (Optuna's set_system_attr); an error for a
  // key that knob itself writes (Study::SetSystemAttr).
  virtual Status OnSystemAttr(int number, const std::string& key, const nlohmann::json& value) = 0;
  // Trial `number`'s script queues a trial (Optuna's enqueue_trial): once per study,
  // since every worker runs the script (Study::EnqueueIfNew).
  virtual Status OnEnqueue(int number, const nlohmann::json& params, const nlohmann::json& user_attrs) = 0;
  // A study request of trial `number` (Optuna's trial.study; `with_trials`: its
  // study.trials too): the answer line, read from the storage now (trainer_messages.h,
  // StudyLine).
  virtual Result<std::string> OnStudyRequest(int number, bool with_trials) = 0;
  // The trial's processes are gone (or it never started): record `outcome`.
  virtual void OnEnded(int number, const TrialOutcome& outcome) = 0;
  // SIGINT, SIGTERM or SIGHUP reached knob.
  virtual void OnSignal(int signal) = 0;
  // Something worth a line on the console and in the event log.
  virtual void OnWarning(const std::string& line) = 0;
};

class TrialRunner {
 public:
  virtual ~TrialRunner() = default;
  virtual void SetEvents(TrialRunnerEvents* events) = 0;
  // Starts the trial; an error means it could not start (OnEnded is not called).
  virtual Status Start(const TrialLaunch& launch) = 0;
  // Stops a running trial (SIGTERM, then SIGKILL after its grace); it ends FAILed
  // as interrupted with `reason` ("" for Ctrl-C).
  virtual void Interrupt(int number, const std::string& reason) = 0;
  // Calls `action` once, `seconds` from now on the runner's clock.
  virtual void After(double seconds, std::function<void()> action) = 0;
  // Seconds on the runner's clock (steady; its zero is arbitrary).
  virtual double Now() const = 0;
  // Runs events until Quit; afterwards ends whatever trainers left behind.
  virtual void Run() = 0;
  virtual void Quit() = 0;
};

}  // namespace knob
