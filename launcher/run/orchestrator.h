// The policy of `knob run`. It recovers trials a dead run left RUNNING, then
// keeps every slot busy: asks the study for a trial, prepares its folder, has the
// TrialRunner start its trainer, answers its reports with the pruner's decision,
// records how it ended (retrying failures when configured), beats the heartbeat
// of its trials, fails other workers' stale ones, and stops on budget, study
// timeout, too many failures in a row, a fault of its own, or Ctrl-C. Processes,
// sockets and signals are the runner's (trial_runner.h). Called by the run commands.
#pragma once

#include <memory>
#include <vector>

#include "base/result.h"
#include "launcher/run/slots.h"
#include "launcher/run/trial_runner.h"
#include "studies/storage.h"
#include "studies/study.h"
#include "studies/study_file.h"

namespace knob {

struct RunPlan {
  StudyFile file;           // overrides already applied
  std::vector<Slot> slots;  // at least one
  int cores = 1;
  bool live_progress = false;  // stderr is a terminal
  std::string log_level = "info";  // of knob.log in the output folder (event_log.h)
};

// Ok when the budget is reached, the study timeout passed or the sampler has
// nothing left; runtime error when failures stopped it; interrupted on Ctrl-C.
// Trainers run as processes (ProcessTrialRunner).
Status RunStudy(Storage& storage, Study& study, const RunPlan& plan);
// The same policy over another runner (tests: scripted trainers, a fake clock).
Status RunStudy(Storage& storage, Study& study, const RunPlan& plan, TrialRunner& runner);

}  // namespace knob
