// How a trial ended, judged from what the orchestrator saw: the exit status,
// whether it was pruned, timed out or stopped by Ctrl-C, and the value it sent.
// Pure: the orchestrator gathers the facts and stores the verdict.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "search/trial.h"

namespace knob {

struct TrialEnd {
  int wait_status = 0;          // from waitpid
  std::string start_error;      // non-empty: it never started
  std::string knob_error;       // non-empty: knob could not prepare it (a full disk)
  std::string protocol_error;   // non-empty: it broke the channel's rules (a flood)
  bool pruned = false;          // the pruner told it to stop
  bool timed_out = false;       // ran past its timeout and was stopped
  bool out_of_memory = false;   // SIGKILLed, not by knob, as the kernel's out-of-memory kills rose
  bool stopped_after_end = false;  // sent its result (or fail), then was stopped still running at its timeout
  bool interrupted = false;     // stopped by Ctrl-C, or because the run stopped
  std::string interrupt_reason;  // why, when not Ctrl-C
  std::optional<double> value;  // from its result message or its knob_result line
  std::vector<double> values;   // several objectives: its result's "values"
  std::optional<std::vector<double>> constraints;  // its result's "constraints"
  std::string refused;          // why knob refused its last message that it did not take
  std::string refused_suggestion;  // why knob refused a suggest (it contradicts the space)
  std::string trainer_failure;  // its fail message's reason (an objective's exception)
  double timeout_seconds = 0;
  std::string log_path;
  // A trial of several processes: the rank whose end this describes (its exit
  // status, failure or broken protocol, its log) when it was not rank 0's own.
  int rank = 0;
};

struct TrialVerdict {
  TrialState state = TrialState::kFail;
  std::optional<double> value;  // COMPLETE only; a PRUNED trial takes its last report
  // FAIL only: start, knob, interrupted, protocol, space, timeout, trainer, oom,
  // signal, exit, nan, no_result
  std::string kind;
  std::string reason;  // FAIL only: one line for `knob trials`, with the log's path
};

TrialVerdict JudgeTrial(const TrialEnd& end);

}  // namespace knob
