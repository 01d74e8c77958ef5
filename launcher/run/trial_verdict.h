// How a trial ended, judged from what the orchestrator saw: the exit status,
// whether it was pruned, timed out or stopped by Ctrl-C, and the value it sent.
// Pure: the orchestrator gathers the facts and stores the verdict.
#pragma once

#include <optional>
#include <string>

#include "search/trial.h"

namespace knob {

struct TrialEnd {
  int wait_status = 0;          // from waitpid
  std::string start_error;      // non-empty: it never started
  bool pruned = false;          // the pruner told it to stop
  bool timed_out = false;       // ran past its timeout and was stopped
  bool interrupted = false;     // stopped by Ctrl-C
  std::optional<double> value;  // from its result message or its knob_result line
  double timeout_seconds = 0;
  std::string log_path;
};

struct TrialVerdict {
  TrialState state = TrialState::kFail;
  std::optional<double> value;  // COMPLETE only; a PRUNED trial takes its last report
  std::string kind;    // FAIL only: start, interrupted, timeout, signal, exit, nan, no_result
  std::string reason;  // FAIL only: one line for `knob trials`, with the log's path
};

TrialVerdict JudgeTrial(const TrialEnd& end);

}  // namespace knob
