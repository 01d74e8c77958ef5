// One knob-train run from checked arguments: loads the data, builds the model and
// optimizer (or restores them from a checkpoint), trains with HF's step, logging,
// evaluation, saving and early-stopping rules, reports each evaluation to knob,
// reloads the best model, and writes output_dir/metrics.json. Stops at the next
// optimizer step when `stop_requested` becomes non-zero (SIGTERM), after saving a
// checkpoint. Called by knob-train's main; Torch code.
#pragma once

#include <csignal>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "trainer/training_arguments.h"

namespace knob {

Status RunTraining(const TrainingArguments& args, const nlohmann::json& config,
                   const volatile std::sig_atomic_t& stop_requested);

}  // namespace knob
