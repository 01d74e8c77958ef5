#include "launcher/fake_trial_runner.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>

namespace knob::testing {
namespace {

// wait statuses as waitpid reports them
int Exited(int code) { return (code & 0xff) << 8; }
int Signaled(int signal) { return signal & 0x7f; }

}  // namespace

void FakeTrialRunner::At(double time, std::function<void()> action) {
  queue_.emplace(std::max(time, now_), std::move(action));
}

Status FakeTrialRunner::Start(const TrialLaunch& launch) {
  FakeTrainer trainer = script_(launch);
  launches_.push_back(launch);
  if (!trainer.start_error.empty()) return Error::Runtime(trainer.start_error);
  Running& r = running_[launch.number];
  r = Running{launch, trainer, {}, false, ++generations_};
  r.outcome.end.log_path = launch.spec.log_path;
  max_running_ = std::max<int>(max_running_, running_.size());
  int number = launch.number, generation = r.generation;
  At(now_ + trainer.step_seconds, [this, number, generation] { Step(number, 0, generation); });
  if (launch.timeout_seconds)
    At(now_ + *launch.timeout_seconds, [this, number, generation] {
      auto it = running_.find(number);
      if (it == running_.end() || it->second.generation != generation) return;
      it->second.outcome.end.timed_out = true;
      it->second.outcome.end.timeout_seconds = *it->second.launch.timeout_seconds;
      Terminate(number);
    });
  return {};
}

void FakeTrialRunner::Step(int number, size_t report, int generation) {
  auto it = running_.find(number);
  if (it == running_.end() || it->second.generation != generation || it->second.stopping) return;
  Running& r = it->second;
  if (report < r.trainer.reports.size()) {
    auto [step, value] = r.trainer.reports[report];
    auto prune = events_->OnReport(number, step, value);
    if (prune.ok() && *prune && !r.outcome.end.pruned) {
      r.outcome.end.pruned = true;
      if (!r.trainer.ignores_prune) {
        At(now_, [this, number] { End(number, Exited(0)); });
        return;
      }
      At(now_ + r.launch.stop_grace_seconds, [this, number, generation] {
        auto again = running_.find(number);
        if (again != running_.end() && again->second.generation == generation) Terminate(number);
      });
    }
    At(now_ + r.trainer.step_seconds, [this, number, report, generation] { Step(number, report + 1, generation); });
    return;
  }
  using Ending = FakeTrainer::Ending;
  switch (r.trainer.ending) {
    case Ending::kHang:
      return;
    case Ending::kResult:
      At(now_ + r.trainer.seconds, [this, number, generation] {
        auto again = running_.find(number);
        if (again == running_.end() || again->second.generation != generation || again->second.stopping) return;
        again->second.outcome.end.value = again->second.trainer.value;
        End(number, Exited(0));
      });
      return;
    case Ending::kNoResult:
    case Ending::kExit:
    case Ending::kSignal: {
      int status = r.trainer.ending == Ending::kSignal ? Signaled(r.trainer.code_or_signal)
                                                       : Exited(r.trainer.ending == Ending::kExit ? r.trainer.code_or_signal : 0);
      At(now_ + r.trainer.seconds, [this, number, generation, status] {
        auto again = running_.find(number);
        if (again != running_.end() && again->second.generation == generation && !again->second.stopping)
          End(number, status);
      });
      return;
    }
  }
}

void FakeTrialRunner::Terminate(int number) {
  auto it = running_.find(number);
  if (it == running_.end() || it->second.stopping) return;
  it->second.stopping = true;
  int generation = it->second.generation;
  if (!it->second.trainer.ignores_sigterm) {
    At(now_, [this, number] { End(number, Signaled(SIGTERM)); });
    return;
  }
  At(now_ + it->second.launch.stop_grace_seconds, [this, number, generation] {
    auto again = running_.find(number);
    if (again != running_.end() && again->second.generation == generation) End(number, Signaled(SIGKILL));
  });
}

void FakeTrialRunner::Interrupt(int number, const std::string& reason) {
  auto it = running_.find(number);
  if (it == running_.end()) return;
  it->second.outcome.end.interrupted = true;
  it->second.outcome.end.interrupt_reason = reason;
  Terminate(number);
}

void FakeTrialRunner::End(int number, int wait_status) {
  auto it = running_.find(number);
  if (it == running_.end()) return;
  TrialOutcome outcome = it->second.outcome;
  outcome.end.wait_status = wait_status;
  running_.erase(it);
  ended_at_[number] = now_;
  events_->OnEnded(number, outcome);
}

void FakeTrialRunner::SignalAt(double seconds, int signal) {
  At(seconds, [this, signal] { events_->OnSignal(signal); });
}

void FakeTrialRunner::Run() {
  quit_ = false;
  // A policy that never quits would loop for ever on its heartbeats: a test then
  // fails at a fake year instead of hanging.
  while (!quit_ && !queue_.empty() && now_ < 365 * 86400.0) {
    auto first = queue_.begin();
    now_ = first->first;
    auto action = std::move(first->second);
    queue_.erase(first);
    action();
  }
}

}  // namespace knob::testing
