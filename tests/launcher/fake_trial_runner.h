// A TrialRunner without processes, for testing knob run's policy in-process: each
// trial's trainer is a script (reports at steps, then a result, a crash, an exit
// code, a hang, ...) played on a fake clock, so that timeouts, heartbeats and a
// study timeout happen in order and at once, without sleeping. Signals are
// scripted at fake times too.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "launcher/run/trial_runner.h"

namespace knob::testing {

struct FakeTrainer {
  enum class Ending { kResult, kNoResult, kExit, kSignal, kHang };
  std::vector<std::pair<int64_t, double>> reports;  // (step, value), one each `step_seconds`
  double step_seconds = 1;
  Ending ending = Ending::kResult;
  std::optional<double> value;  // with kResult
  int code_or_signal = 0;       // with kExit / kSignal
  double seconds = 1;           // after the last report, until it ends
  bool ignores_sigterm = false;
  bool ignores_prune = false;
  std::string start_error;      // non-empty: it cannot start
};

class FakeTrialRunner : public TrialRunner {
 public:
  // `script` says what trial `launch` does.
  explicit FakeTrialRunner(std::function<FakeTrainer(const TrialLaunch&)> script) : script_(std::move(script)) {}

  void SetEvents(TrialRunnerEvents* events) override { events_ = events; }
  Status Start(const TrialLaunch& launch) override;
  void Interrupt(int number, const std::string& reason) override;
  void After(double seconds, std::function<void()> action) override { At(now_ + seconds, std::move(action)); }
  double Now() const override { return now_; }
  void Run() override;
  void Quit() override { quit_ = true; }

  // A signal that reaches knob at fake time `seconds`.
  void SignalAt(double seconds, int signal);

  // What the tests check: how many trials ran at once at most, and what each got.
  int max_running() const { return max_running_; }
  const std::vector<TrialLaunch>& launches() const { return launches_; }
  // Fake seconds at which each trial (by number) ended.
  const std::map<int, double>& ended_at() const { return ended_at_; }

 private:
  struct Running {
    TrialLaunch launch;
    FakeTrainer trainer;
    TrialOutcome outcome;
    bool stopping = false;
    int generation = 0;  // events of an ended trial are dropped
  };

  void At(double time, std::function<void()> action);
  void Step(int number, size_t report, int generation);
  void End(int number, int wait_status);
  void Terminate(int number);

  std::function<FakeTrainer(const TrialLaunch&)> script_;
  TrialRunnerEvents* events_ = nullptr;
  std::multimap<double, std::function<void()>> queue_;
  double now_ = 0;
  bool quit_ = false;
  int generations_ = 0;
  std::map<int, Running> running_;
  int max_running_ = 0;
  std::vector<TrialLaunch> launches_;
  std::map<int, double> ended_at_;
};

}  // namespace knob::testing
