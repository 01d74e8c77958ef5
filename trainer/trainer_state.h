// What knob-train knows about a run besides tensors: step, epoch, log history,
// best metric and checkpoint, early-stopping count, the partial logging window,
// the fp16 loss scale and how many data-parallel processes wrote it. Written to
// each checkpoint as trainer_state.json with HF's field names (the knob-only
// fields under "knob") and read back on resume. Torch-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace knob {

// fp16 loss scaling as torch.cuda.amp.GradScaler: start at 2^16, halve on an
// overflow (that step is skipped), double after 2000 steps without one.
struct LossScale {
  double scale = 65536.0;
  int64_t good_steps = 0;
  // Records one step's outcome; true when the step may be applied.
  bool Update(bool gradients_finite);
};

struct TrainerState {
  int64_t global_step = 0;
  double epoch = 0;
  int64_t max_steps = 0;
  int64_t samples_seen = 0;
  std::optional<double> best_metric;
  std::string best_model_checkpoint;  // a folder path, "" while none
  nlohmann::json log_history = nlohmann::json::array();
  int evals_without_improvement = 0;
  double running_loss = 0;  // sum of micro-batch losses since the last log
  int64_t logged_micro = 0;
  LossScale loss_scale;
  int world_size = 1;  // processes of the data-parallel run that wrote it

  nlohmann::json ToJson() const;
  static Result<TrainerState> FromJson(const nlohmann::json& json);
};

}  // namespace knob
