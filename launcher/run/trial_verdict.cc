#include "launcher/run/trial_verdict.h"

#include <sys/wait.h>

#include <cmath>

#include "base/duration.h"
#include "launcher/run/trial_process.h"

namespace knob {

TrialVerdict JudgeTrial(const TrialEnd& end) {
  TrialVerdict v;
  auto fail = [&](const char* kind, const std::string& reason) {
    v.state = TrialState::kFail;
    v.kind = kind;
    v.reason = (end.rank > 0 ? "rank " + std::to_string(end.rank) + ": " : "") + reason +
               (end.log_path.empty() ? "" : " (log: " + end.log_path + ")");
    return v;
  };
  if (!end.start_error.empty()) return fail("start", end.start_error);
  if (!end.knob_error.empty()) return fail("knob", "knob could not prepare it: " + end.knob_error);
  if (!end.protocol_error.empty()) return fail("protocol", end.protocol_error);
  if (end.interrupted)
    return fail("interrupted", end.interrupt_reason.empty() ? "stopped by Ctrl-C before it finished"
                                                            : end.interrupt_reason);
  if (!end.refused_suggestion.empty()) return fail("space", end.refused_suggestion);
  if (end.pruned) {
    v.state = TrialState::kPruned;
    return v;
  }
  if (end.timed_out) return fail("timeout", "timed out after " + ShortDuration(end.timeout_seconds));
  if (!end.trainer_failure.empty()) return fail("trainer", end.trainer_failure);
  // One stopped after its end (a hang at exit) is judged by what it sent, not by knob's signal.
  if (WIFSIGNALED(end.wait_status) && !end.stopped_after_end) {
    if (end.out_of_memory) return fail("oom", "killed by the kernel's out-of-memory killer (SIGKILL)");
    std::string reason = "killed by signal " + SignalName(WTERMSIG(end.wait_status));
    if (WCOREDUMP(end.wait_status)) reason += " (core dumped)";
    return fail("signal", reason);
  }
  int code = WIFEXITED(end.wait_status) ? WEXITSTATUS(end.wait_status) : -1;
  if (code != 0 && !end.stopped_after_end) return fail("exit", "exit code " + std::to_string(code));
  if (!end.value && !end.refused.empty())
    return fail("no_result", "exited without a result knob could take; it refused: " + end.refused);
  if (!end.value)
    return fail("no_result", "exited without a result (no result message on the control channel "
                             "and no {\"knob_result\": V} line on stdout)");
  for (double v : end.values)
    if (std::isnan(v)) return fail("nan", "reported NaN");
  if (std::isnan(*end.value)) return fail("nan", "reported NaN");
  v.state = TrialState::kComplete;
  v.value = end.value;
  return v;
}

}  // namespace knob
