// The loop of `knob run`: one Boost.Asio event loop, no thread per trial. It
// recovers trials a dead run left RUNNING, then keeps every slot busy with a
// trainer process: asks the study for a trial, starts the trainer with its
// params, answers its reports with the pruner's decision, enforces its timeout,
// records how it ended (retrying failures when configured), beats the heartbeat
// of its trials, fails other workers' stale ones, and stops on budget, study
// timeout, too many failures in a row, or Ctrl-C. Called by the run commands.
#pragma once

#include <memory>
#include <vector>

#include "base/result.h"
#include "launcher/run/slots.h"
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
Status RunStudy(Storage& storage, Study& study, const RunPlan& plan);

}  // namespace knob
