// The TrialRunner of `knob run`: trainer processes (trial_process.h) in one
// Boost.Asio loop, no thread per trial. It reads each trial's control channel
// within the channel's limits (trainer_messages.h: line size, message rate,
// unread answers; a trainer past them FAILs as "protocol"), answers every line
// it refuses, enforces timeouts and the grace after SIGTERM, reaps children on
// SIGCHLD, passes SIGINT/SIGTERM/SIGHUP to the policy, and, as the subreaper of
// everything its trainers start, ends the processes a trial left behind (found by
// $KNOB_TRIAL, or by having been reparented to knob) within 50 ms of the trial's
// end, every 2 s, and when the run ends. A trainer whose hello offers to serve
// many trials (knob.serve) is a worker that stays: its trial ends at its result,
// and the next trial of its slot is sent to it instead of starting a process;
// one that crashes or hangs is replaced and only its current trial fails. A
// distributed trial (TrialLaunch::processes > 1) is one Running with a worker per
// rank and a MASTER_PORT that no other running trial of this runner holds; it
// ends when its last rank has exited. Linux only.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include <utility>
#include <vector>

#include <boost/asio.hpp>

#include "launcher/run/trainer_messages.h"
#include "launcher/run/trial_runner.h"

namespace knob {

class ProcessTrialRunner : public TrialRunner {
 public:
  // `worker_token` is the $KNOB_WORKER of this run's trainers.
  ProcessTrialRunner(std::string worker_token, ChannelLimits limits = {});
  ~ProcessTrialRunner() override;

  // $KNOB_TRIAL of trial `number`'s processes: which worker, which trial.
  static std::string TrialToken(const std::string& worker_token, int number);

  void SetEvents(TrialRunnerEvents* events) override { events_ = events; }
  Status Start(const TrialLaunch& launch) override;
  void Interrupt(int number, const std::string& reason) override;
  void After(double seconds, std::function<void()> action) override;
  double Now() const override;
  void Run() override;
  void Quit() override { io_.stop(); }

 private:
  struct Worker;   // a trainer process and its channel
  struct Running;  // a trial, on a worker
  using WorkerPtr = std::shared_ptr<Worker>;
  using RunningPtr = std::shared_ptr<Running>;

  void Attach(const WorkerPtr& w, const RunningPtr& t);
  WorkerPtr TakeIdleWorker(int slot);
  Result<WorkerPtr> Launch(const TrialLaunch& launch, const LaunchSpec& spec, int rank);
  Status StartRanks(const RunningPtr& t);
  // A port of 127.0.0.1 free now and held by no running trial of this runner.
  Result<int> ReservePort();
  // Rank `w` of a trial of several processes answers a report: rank 0's decision
  // at that step, at once or when rank 0 has reported it.
  void AnswerLikeRankZero(const WorkerPtr& w, const RunningPtr& t, int64_t step);
  void DecidedAtRankZero(const RunningPtr& t, int64_t step, bool prune);
  // Rank 0 has ended: reports still waiting for its decision are answered with
  // the trial's (prune when it was pruned, else go on).
  void ReleaseWaitingRanks(const RunningPtr& t);
  // The first rank to fail (crash, fail message, broken protocol) names the
  // trial's end; the other ranks are stopped.
  void RankFailed(const WorkerPtr& w, const RunningPtr& t);
  void OnRankExit(const WorkerPtr& w, const RunningPtr& t, int wait_status);
  void StopTrial(const RunningPtr& t);
  void WatchChannel(WorkerPtr w);
  void ReadChannel(const WorkerPtr& w, bool final);
  void HandleLine(const WorkerPtr& w, const std::string& line);
  void HandleMessage(const WorkerPtr& w, const RunningPtr& t, const TrainerMessage& message);
  void BreakProtocol(const WorkerPtr& w, const std::string& reason);
  void Send(WorkerPtr w, std::string line);
  void WriteNext(WorkerPtr w);
  void Stop(WorkerPtr w);
  void WaitChildren();
  void WaitSignals();
  // The trial on `w` ended with its result or fail message; `w` stays for the next.
  void EndServedTrial(const WorkerPtr& w);
  // A serving worker said it serves no more (a hello with "serves": false, as a
  // script's ask-and-tell loop says at its end): it takes no trial, and one sent to
  // it that it has said nothing of starts again in a fresh process.
  void Leave(const WorkerPtr& w);
  void EndTrial(const RunningPtr& t);
  void OnExit(WorkerPtr w, int wait_status);
  bool KilledForMemory(const WorkerPtr& w, const RunningPtr& t, int wait_status);
  std::string Head(const WorkerPtr& w) const;
  void SweepOrphans();
  void SweepSoon();        // a sweep 50 ms from now, shared by the trials ending meanwhile
  void SweepNowAndThen();  // every 2 s
  void WatchLogsNowAndThen();  // every second: the running trials' log sizes

  std::string worker_token_;
  ChannelLimits limits_;
  TrialRunnerEvents* events_ = nullptr;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::signal_set children_;
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer log_timer_;
  bool sweep_soon_ = false;
  std::map<pid_t, WorkerPtr> by_pid_;      // every live worker
  std::map<int, RunningPtr> by_number_;   // every running trial
  std::vector<WorkerPtr> idle_;           // serving workers between trials
  std::set<int> ports_;                   // MASTER_PORTs of running distributed trials
};

}  // namespace knob
